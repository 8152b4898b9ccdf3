/** A peer's socket address. */
export interface PeerAddress {
  address: string;
  port: number;
  family: string;
}

/** Strips the IPv4-mapped IPv6 prefix so that TCP and UDP addresses of one peer compare equal. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
