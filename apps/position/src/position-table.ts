import { readFileSync } from 'node:fs';
import { parsePositionTable } from '@vsoa/core';
import type { PositionTable } from '@vsoa/core';

/** The table from `VSOA_POSITIONS` (inline JSON) or else the file `POSITION_FILE`. */
export function loadPositionTable(env: NodeJS.ProcessEnv, defaultFile: string): PositionTable {
  if (env.VSOA_POSITIONS) return parsePositionTable(env.VSOA_POSITIONS, 'VSOA_POSITIONS');
  const file = env.POSITION_FILE ?? defaultFile;
  return parsePositionTable(readFileSync(file, 'utf8'), file);
}
