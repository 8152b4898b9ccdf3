// Packaging test (`npm run test:packaging`, after `npm run build`): takes the tarballs that
// `npm run pack:libs` leaves in dist/packages, installs both into fresh Nest apps in the temp
// directory (one on Nest 12, one on Nest 11, side by side), type-checks test/packaging/app/main.ts
// against what was installed, runs it with node and checks its reply. KEEP_PACKAGING_DIR=1 keeps
// the temp directory.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const started = Date.now();

/** The Nest majors the peer range promises, and the Terminus major that goes with each. */
const MAJORS = [
  { nest: 12, terminus: 12 },
  { nest: 11, terminus: 11 },
];

/** Runs a command; resolves with its stdout, rejects with its output when it fails or overruns. */
function run(cmd, args, cwd, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) ${signal ? `killed after ${timeoutMs} ms` : `exit ${code}`}\n${out}${err}`));
    });
  });
}

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** The tarball `npm run pack:libs` left for a library. */
function tarball(lib) {
  const { name, version } = readJson(path.join(root, 'libs', lib, 'package.json'));
  const file = path.join(root, 'dist', 'packages', `${name.replace('@', '').replace('/', '-')}-${version}.tgz`);
  if (!fs.existsSync(file)) throw new Error(`${path.relative(root, file)} missing: npm run build && npm run pack:libs`);
  return file;
}

/** Installs the tarballs next to Nest `major`, builds the app and checks what it prints. */
async function check({ nest, terminus }, tarballs, tmp) {
  const dir = path.join(tmp, `nest${nest}`);
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  const dependencies = {
    '@nestjs/common': `^${nest}`,
    '@nestjs/core': `^${nest}`,
    '@nestjs/microservices': `^${nest}`,
    '@nestjs/platform-express': `^${nest}`,
    '@nestjs/terminus': `^${terminus}`,
    '@vsoa/core': `file:${tarballs.core}`,
    '@vsoa/nestjs': `file:${tarballs.nestjs}`,
    'reflect-metadata': '^0.2.0',
    rxjs: '^7.8.0',
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `packaging-nest${nest}`, private: true, dependencies }, null, 2));
  fs.copyFileSync(path.join(__dirname, 'app', 'main.ts'), path.join(dir, 'src', 'main.ts'));
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [path.join(root, 'node_modules', '@types')],
        rootDir: 'src',
        outDir: 'out',
      },
      include: ['src'],
    }),
  );

  const t = Date.now();
  await run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], dir, 300_000);
  const installed = seconds(t);
  const version = (name) => readJson(path.join(dir, 'node_modules', name, 'package.json')).version;
  for (const name of ['@nestjs/common', '@nestjs/core', '@nestjs/microservices']) {
    if (!version(name).startsWith(`${nest}.`)) throw new Error(`nest ${nest}: ${name} ${version(name)} installed`);
  }
  // Exactly one @vsoa/core, the packed one: the dependency of @vsoa/nestjs must land on it.
  const lock = readJson(path.join(dir, 'package-lock.json')).packages;
  const cores = Object.keys(lock).filter((key) => key.endsWith('node_modules/@vsoa/core'));
  if (cores.length !== 1 || !String(lock[cores[0]].resolved).startsWith('file:')) {
    throw new Error(`nest ${nest}: expected the packed @vsoa/core once, got ${JSON.stringify(cores.map((key) => lock[key].resolved))}`);
  }

  const t2 = Date.now();
  await run(process.execPath, [tsc, '-p', dir], dir, 120_000);
  const compiled = seconds(t2);
  const t3 = Date.now();
  const out = await run(process.execPath, [path.join(dir, 'out', 'main.js')], dir, 30_000);
  const ran = seconds(t3);
  const result = JSON.parse(out.trim().split('\n').pop());
  if (JSON.stringify(result.echo) !== '{"hello":"nest"}') throw new Error(`nest ${nest}: /echo answered ${JSON.stringify(result.echo)}`);
  if (result.health?.status !== 'ok' || result.health.info?.vsoa?.status !== 'up') {
    throw new Error(`nest ${nest}: /health answered ${JSON.stringify(result.health)}`);
  }
  const versions = ['core', 'microservices', 'terminus'].map((name) => `@nestjs/${name} ${version(`@nestjs/${name}`)}`).join(', ');
  console.log(`nest ${nest}: ok (${versions}; install ${installed}, tsc ${compiled}, run ${ran}: /echo and /health answered)`);
}

(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vsoa-packaging-'));
  try {
    const [core, nestjs] = [tarball('vsoa-core'), tarball('nestjs-vsoa')];
    console.log(`installing ${path.basename(core)}, ${path.basename(nestjs)}`);
    const outcomes = await Promise.allSettled(MAJORS.map((major) => check(major, { core, nestjs }, tmp)));
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
    for (const { reason } of failed) console.error(`FAILED ${reason instanceof Error ? reason.message : reason}`);
    console.log(`packaging: ${outcomes.length - failed.length} passed, ${failed.length} failed in ${seconds(started)}`);
    process.exitCode = failed.length > 0 ? 1 : 0;
  } finally {
    if (process.env.KEEP_PACKAGING_DIR) console.log(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
