/**
 * A list of clean-ups that runs after each test, newest first; one that fails does not stop the
 * rest. Call at the top level of a test file: `const teardowns = teardownsAfterEach();`.
 */
export function teardownsAfterEach(): Array<() => unknown> {
  const list: Array<() => unknown> = [];
  afterEach(async () => {
    for (const teardown of list.splice(0).reverse()) {
      try {
        await teardown();
      } catch {
        // keep closing the rest
      }
    }
  });
  return list;
}
