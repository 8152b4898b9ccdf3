import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The Chromium the browser tests drive: $CHROMIUM, else `chromium` on the PATH (Debian's package,
 * which .ci/run installs). Throws when there is none: a browser test never skips itself.
 */
export function chromiumPath(): string {
  const candidates = process.env.CHROMIUM
    ? [process.env.CHROMIUM]
    : (process.env.PATH ?? '').split(delimiter).flatMap((dir) => [join(dir, 'chromium'), join(dir, 'chromium-browser')]);
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not this one
    }
  }
  throw new Error('no Chromium found: install Debian\'s "chromium" package or set CHROMIUM to its path');
}
