/** Where the demo listens (environment, read once at load). */
export const HTTP_PORT = Number(process.env.HTTP_PORT ?? 3000);
export const VSOA_PORT = Number(process.env.VSOA_PORT ?? 3005);
export const HOST = process.env.HOST ?? '127.0.0.1';
