/** Where the demo listens (environment, read once at load). */
export const HTTP_PORT = Number(process.env.HTTP_PORT ?? 3000);
export const VSOA_PORT = Number(process.env.VSOA_PORT ?? 3005);
export const HOST = process.env.HOST ?? '127.0.0.1';

/**
 * Gateway routes, e.g. VSOA_PROXY='{"/car":"vsoa://127.0.0.1:3006"}': calls under /car go to that
 * server with /car stripped (the demo's own URLs stay its own).
 */
export const PROXY = parseProxy(process.env.VSOA_PROXY);

export function parseProxy(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  let routes: unknown;
  try {
    routes = JSON.parse(text);
  } catch (error) {
    throw new Error(`VSOA_PROXY is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const valid =
    routes !== null &&
    typeof routes === 'object' &&
    !Array.isArray(routes) &&
    Object.values(routes).every((url) => typeof url === 'string');
  if (!valid) throw new Error('VSOA_PROXY must map prefixes to vsoa:// URLs, e.g. {"/car":"vsoa://127.0.0.1:3006"}');
  return routes as Record<string, string>;
}
