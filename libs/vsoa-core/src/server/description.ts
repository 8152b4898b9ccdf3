/**
 * VSOA has no reflection: a client cannot ask a server what it serves. A server of ours may opt in
 * (`describe: true`) to answering GET at DESCRIBE_URL with a VsoaServerDescription, which tools
 * such as `vsoa ui` list. Other servers answer that URL INVALID_URL, as for any unknown URL.
 */
export const DESCRIBE_URL = '/.vsoa/describe';

/** What a server that describes itself answers at DESCRIBE_URL. */
export interface VsoaServerDescription {
  /** The server's handshake info. */
  info: unknown;
  /** The RPC URLs it serves (a URL ending in `/` serves everything under it), sorted. */
  commands: string[];
  /** The URLs it has published on since it started (at most MAX_DESCRIBED_PUBLISHES), sorted. */
  publishes: string[];
  /** True when more URLs were published than the description lists. */
  publishesCut: boolean;
}

/** Published URLs a description remembers: a server publishing on unbounded URLs stays bounded. */
export const MAX_DESCRIBED_PUBLISHES = 1000;

/** The URLs a describing server has published on, up to MAX_DESCRIBED_PUBLISHES. */
export class PublishedUrls {
  private readonly urls = new Set<string>();
  private cut = false;

  add(url: string): void {
    if (this.urls.has(url)) return;
    if (this.urls.size >= MAX_DESCRIBED_PUBLISHES) {
      this.cut = true;
      return;
    }
    this.urls.add(url);
  }

  describe(info: unknown, commands: Iterable<string>): VsoaServerDescription {
    return { info, commands: [...commands].sort(), publishes: [...this.urls].sort(), publishesCut: this.cut };
  }
}
