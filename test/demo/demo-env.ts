import { join } from 'node:path';

// Imported before the demo's module, which reads these when it loads: free ports instead of the
// demo's fixed 3000/3005, and a known file for /file.
process.env.VSOA_PORT = '0';
process.env.DEMO_FILE = join(__dirname, '..', '..', 'README.md');
