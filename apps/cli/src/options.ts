import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs, ParseArgsConfig } from 'node:util';
import { parsePositionServerList, parseVsoaUrl, POSITION_SERVER_ENV } from '@vsoa/core';
import type { ConnectOptions, LookupOptions, VsoaPayload, VsoaUrl } from '@vsoa/core';
import { fileProblem, UsageError } from './errors';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** What `parseArgs` yields for a command's options, typed per option. */
export type ParsedCommandLine<O extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

/** `--help` / `-h`, which every command takes. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/** `--timeout MS`. */
export const TIMEOUT_OPTION = { timeout: { type: 'string' } } as const;

/** `--pos-server IP:PORT[,…]`: where `vsoa://name` URLs (and `lookup`) are resolved. */
export const POSITION_OPTION = { 'pos-server': { type: 'string' } } as const;

/** What every command that connects to a server takes. */
export const CONNECT_OPTIONS = {
  ...HELP_OPTION,
  ...TIMEOUT_OPTION,
  ...POSITION_OPTION,
  passwd: { type: 'string' },
  tls: { type: 'boolean' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
} as const;

/** `--param JSON` and `--data @FILE|-|TEXT`. */
export const PAYLOAD_OPTIONS = {
  param: { type: 'string' },
  data: { type: 'string' },
} as const;

/** Help lines for CONNECT_OPTIONS, `timeout` saying what the timeout bounds. */
export function connectHelp(timeout: string): string {
  return `
Connection options:
  --passwd PASSWORD       the server's password
  --timeout MS            ${timeout}
  --tls                   connect with TLS (implied by the --tls-* options)
  --tls-ca FILE           trust the CA certificate(s) in FILE (PEM)
  --tls-cert FILE         client certificate (PEM), for servers that ask for one
  --tls-key FILE          the client certificate's private key (PEM)
  --pos-server IP:PORT    position server resolving vsoa://NAME URLs
                          (default: $${POSITION_SERVER_ENV}, then /etc/vsoa.pos)
  -h, --help              show this help`;
}

/** Help lines for PAYLOAD_OPTIONS. */
export const PAYLOAD_HELP = `  --param JSON            the param, any JSON value
  --data @FILE|-|TEXT     the data: a file's bytes, standard input (-), or TEXT as UTF-8`;

/** Parses a command's arguments with `util.parseArgs`; turns its errors into UsageError. */
export function parseCommandLine<O extends OptionsConfig>(args: string[], options: O): ParsedCommandLine<O> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    // Node's messages go on to explain `--`; the first sentence is the useful part.
    const message = (error as Error).message.split(/\. (?=[A-Z])/)[0];
    throw new UsageError(message.replace(/\.$/, ''));
  }
}

/** The positionals a command expects, exactly; throws a UsageError naming what is missing or extra. */
export function expectPositionals(positionals: string[], names: string[]): string[] {
  if (positionals.length < names.length) throw new UsageError(`missing ${names[positionals.length]} (see --help)`);
  if (positionals.length > names.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[names.length])}`);
  return positionals;
}

/** Parses `vsoa://host:port/path`; a usage error when it is not one. */
export function parseTarget(text: string): VsoaUrl {
  try {
    return parseVsoaUrl(text);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A whole number of milliseconds (or a count), at least `min`. */
export function parseInteger(text: string | undefined, option: string, min = 1): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > 2 ** 31 - 1) {
    throw new UsageError(`${option} must be a whole number ≥ ${min}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** The values CONNECT_OPTIONS yields. */
export interface ConnectValues {
  passwd?: string;
  timeout?: string;
  tls?: boolean;
  'tls-ca'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  'pos-server'?: string;
}

/** Connect options from the command line (TLS files read here); `timeout` is in ms. */
export function connectOptions(values: ConnectValues): ConnectOptions {
  const options: ConnectOptions = {
    passwd: values.passwd,
    timeout: parseInteger(values.timeout, '--timeout'),
    lookup: lookupOptions(values),
  };
  const ca = readOptionFile(values, 'tls-ca');
  const cert = readOptionFile(values, 'tls-cert');
  const key = readOptionFile(values, 'tls-key');
  if (values.tls || ca || cert || key) options.tls = { ca, cert, key };
  return options;
}

/** Lookup options: `--pos-server` stands in for VSOA_POS_SERVER. */
export function lookupOptions(values: { 'pos-server'?: string }): LookupOptions | undefined {
  const servers = values['pos-server'];
  if (servers === undefined) return undefined;
  parsePositionServerList(servers, (entry) => {
    throw new UsageError(`--pos-server: ${JSON.stringify(entry)} is not IP:PORT`);
  });
  return { env: { ...process.env, [POSITION_SERVER_ENV]: servers } };
}

/** The payload of `--param` and `--data`. */
export async function readPayload(values: { param?: string; data?: string }): Promise<VsoaPayload> {
  const payload: VsoaPayload = {};
  if (values.param !== undefined) {
    try {
      payload.param = JSON.parse(values.param);
    } catch (error) {
      throw new UsageError(`--param is not JSON: ${(error as Error).message}`);
    }
  }
  if (values.data !== undefined) payload.data = await readData(values.data);
  return payload;
}

async function readData(spec: string): Promise<Buffer> {
  if (spec === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  if (!spec.startsWith('@')) return Buffer.from(spec, 'utf8');
  try {
    return await readFile(spec.slice(1));
  } catch (error) {
    throw new UsageError(`--data: cannot read ${spec.slice(1)}: ${fileProblem(error)}`);
  }
}

function readOptionFile(values: ConnectValues, option: 'tls-ca' | 'tls-cert' | 'tls-key'): string | undefined {
  const file = values[option];
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--${option}: cannot read ${file}: ${fileProblem(error)}`);
  }
}
