// The reader's own values that the docs' snippets use without making them: a Nest app, a server or
// a client made earlier, key material, a password, a robot arm.
import type { INestApplication } from '@nestjs/common';
import type { VsoaClient, VsoaServer } from '@vsoa/core';
import type { ClientVsoa } from '@vsoa/nestjs';

declare global {
  const app: INestApplication;
  const server: VsoaServer;
  const client: VsoaClient;
  const car: ClientVsoa;
  const key: Buffer;
  const cert: Buffer;
  const ca: Buffer;
  const clientKey: Buffer;
  const clientCert: Buffer;
  const passwd: string;
  const arm: { move(): Promise<string>; home(): Promise<string>; calibrate(): Promise<void> };
}
