/**
 * The captured vectors the parser is tested against can be made again from the official package:
 * scripts/capture-official.js, run now, records the same packets as the committed capture (ports
 * and the pad bytes the official package leaves dirty aside).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PacketParser, parseDatagram, PacketType, MAX_QUICK_PACKET_LENGTH } from '@vsoa/core';
import type { VsoaPacket } from '@vsoa/core';

const root = join(__dirname, '..', '..');

interface Capture {
  source: string;
  packets: Array<{ dir: string; transport: string; desc: string; hex: string }>;
}

/** Every packet of a capture, in order, as what a peer reads from it (ports left out). */
function decoded(capture: Capture): unknown[] {
  return capture.packets.flatMap(({ dir, transport, hex }) => {
    const bytes = Buffer.from(hex, 'hex');
    const packets: VsoaPacket[] = [];
    if (transport === 'udp') packets.push(parseDatagram(bytes, MAX_QUICK_PACKET_LENGTH)!);
    else
      new PacketParser(
        (packet) => packets.push(packet),
        (error) => {
          throw error;
        },
      ).push(bytes);
    return packets.map((p) => ({
      dir,
      transport,
      type: p.type,
      flags: p.flags,
      status: p.status,
      seqno: p.seqno,
      url: p.url,
      param: p.param.toString(),
      // The handshake reply's data ends with a port.
      data: p.type === PacketType.SERVINFO ? p.data.subarray(0, 4).toString('hex') : p.data.toString('hex'),
    }));
  });
}

it('scripts/capture-official.js records what the committed capture holds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vsoa-capture-'));
  try {
    const out = join(dir, 'capture.json');
    execFileSync(process.execPath, [join(root, 'scripts', 'capture-official.js'), '--out', out], { stdio: 'pipe', timeout: 20_000 });
    const fresh = JSON.parse(readFileSync(out, 'utf8')) as Capture;
    const committed = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'official-capture.json'), 'utf8')) as Capture;
    expect(fresh.packets.length).toBeGreaterThan(10);
    expect(decoded(fresh)).toEqual(decoded(committed));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
