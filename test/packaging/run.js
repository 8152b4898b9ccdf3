// Packaging test (`npm run test:packaging`, after `npm run build`): takes the tarballs that
// `npm run pack:libs` leaves in dist/packages and installs them into fresh Nest apps in the temp
// directory (one on Nest 12, one on Nest 11, side by side). Each app is test/packaging/app — an app
// written from the README: its src/ and its e2e tests, with the Jest config the README gives and
// a tsconfig under strict with library checks on. The run type-checks it against what was
// installed, then runs its tests with Jest. KEEP_PACKAGING_DIR=1 keeps the temp directory.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const started = Date.now();

/** The Nest majors the peer range promises, and the majors of the Nest packages that go with each. */
const MAJORS = [
  { nest: 12, terminus: 12, config: 12 },
  { nest: 11, terminus: 11, config: 4 },
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
      if (code === 0) resolve(out + err);
      else
        reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) ${signal ? `killed after ${timeoutMs} ms` : `exit ${code}`}\n${out}${err}`));
    });
  });
}

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
/** The version of `name` this repository is tested with (its lockfile's), for the app's dev tools. */
const ours = (name) => readJson(path.join(root, 'node_modules', name, 'package.json')).version;

/** The tarball `npm run pack:libs` left for a library. */
function tarball(lib) {
  const { name, version } = readJson(path.join(root, 'libs', lib, 'package.json'));
  const file = path.join(root, 'dist', 'packages', `${name.replace('@', '').replace('/', '-')}-${version}.tgz`);
  if (!fs.existsSync(file)) throw new Error(`${path.relative(root, file)} missing: npm run build && npm run pack:libs`);
  return file;
}

/** The Jest config the README gives (the ```js block that starts with `// jest.config.js`). */
function readmeJestConfig() {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const block = /```js\n(\/\/ jest\.config\.js\n[\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no ```js block starting with // jest.config.js');
  return block[1];
}

function copyDir(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const item of fs.readdirSync(from, { withFileTypes: true })) {
    if (item.isDirectory()) copyDir(path.join(from, item.name), path.join(to, item.name));
    else fs.copyFileSync(path.join(from, item.name), path.join(to, item.name));
  }
}

/** Installs the tarballs next to Nest `nest`, type-checks the app and runs its tests. */
async function check({ nest, terminus, config }, tarballs, tmp) {
  const dir = path.join(tmp, `nest${nest}`);
  copyDir(path.join(__dirname, 'app'), dir);
  // The app's tests make their TLS certificates with the helper the repository's tests use.
  fs.copyFileSync(path.join(root, 'test', 'helpers', 'certs.ts'), path.join(dir, 'test', 'certs.ts'));
  const pkg = {
    name: `packaging-nest${nest}`,
    private: true,
    dependencies: {
      '@nestjs/common': `^${nest}`,
      '@nestjs/config': `^${config}`,
      '@nestjs/core': `^${nest}`,
      '@nestjs/microservices': `^${nest}`,
      '@nestjs/platform-express': `^${nest}`,
      '@nestjs/terminus': `^${terminus}`,
      '@vsoa/core': `file:${tarballs.core}`,
      '@vsoa/nestjs': `file:${tarballs.nestjs}`,
      'class-transformer': ours('class-transformer'),
      'class-validator': ours('class-validator'),
      'reflect-metadata': '^0.2.0',
      rxjs: '^7.8.0',
    },
    devDependencies: Object.fromEntries(
      ['@peculiar/x509', '@swc/core', '@swc/jest', '@types/jest', '@types/node', 'jest', 'typescript'].map((name) => [name, ours(name)]),
    ),
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  fs.writeFileSync(path.join(dir, 'jest.config.js'), readmeJestConfig());
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        skipLibCheck: false,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        types: ['node', 'jest'],
        noEmit: true,
      },
      include: ['src', 'test'],
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
  await run(process.execPath, [path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], dir, 180_000);
  const compiled = seconds(t2);
  const t3 = Date.now();
  const jest = await run(process.execPath, [path.join(dir, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci'], dir, 180_000);
  const tests = /Tests:\s+(.*)/.exec(jest)?.[1] ?? '?';
  const versions = ['core', 'microservices', 'terminus'].map((name) => `@nestjs/${name} ${version(`@nestjs/${name}`)}`).join(', ');
  console.log(`nest ${nest}: ok (${versions}; install ${installed}, tsc ${compiled}, jest ${seconds(t3)}: ${tests})`);
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
