import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { VsoaServerStrategy } from '@vsoa/nestjs';
import { AppModule } from './app.module';
import { HOST, HTTP_PORT, PROXY, VSOA_PORT } from './config';

/** A hybrid app: the light over HTTP on :3000 and over VSOA on :3005. */
async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  app.connectMicroservice({ strategy: app.get(VsoaServerStrategy) });
  await app.startAllMicroservices();
  await app.listen(HTTP_PORT, HOST);
  console.log(`
VSOA demo up:  vsoa://${HOST}:${VSOA_PORT}   http://${HOST}:${HTTP_PORT}
  curl http://${HOST}:${HTTP_PORT}/light
  curl http://${HOST}:${HTTP_PORT}/health      (up while the VSOA port answers a ping)
  curl -X PUT -H 'content-type: application/json' -d '{"on":true}' http://${HOST}:${HTTP_PORT}/light
  VSOA: GET/SET /light, /echo; datagrams on /sensor/...; subscribe /light for changes;
        GET /file answers with a stream tunnel carrying a file
  npx vsoa ping vsoa://${HOST}:${VSOA_PORT}    npx vsoa call vsoa://${HOST}:${VSOA_PORT}/light
  npx vsoa ui vsoa://${HOST}:${VSOA_PORT}      a web page to call, watch and chart it
${
  PROXY
    ? `  gateway: ${Object.entries(PROXY)
        .map(([prefix, url]) => `${prefix}/… -> ${url}`)
        .join(', ')}\n`
    : ''
}`);
}

bootstrap().catch((error: Error) => {
  console.error(`demo failed to start: ${error.message}`);
  process.exit(1);
});
