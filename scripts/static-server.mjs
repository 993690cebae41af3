// A small static server for the site: www/ at /, the prepared datasets (data/) at /data/.
// Correct MIME types (application/wasm for streaming compilation) and cross-origin isolation
// headers (needed by performance.measureUserAgentSpecificMemory).
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.bin': 'application/octet-stream', '.ico': 'image/x-icon',
};

/** Starts serving `root` (the repository) on `port`; resolves with the server once listening. */
export function serve(root, port, host = '127.0.0.1') {
  const mounts = [['/data/', resolve(root, 'data')], ['/', resolve(root, 'www')]];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const [prefix, dir] = mounts.find(([p]) => path.startsWith(p));
    let file = normalize(join(dir, path.slice(prefix.length)));
    if (!file.startsWith(dir)) return send(res, 403, 'forbidden');
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const { size } = statSync(file);
      res.writeHead(200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Length': size,
        'Cache-Control': 'no-cache',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
    } catch {
      send(res, 404, `not found: ${path}`);
    }
  });
  return new Promise((ok, fail) => server.once('error', fail).listen(port, host, () => ok(server)));
}

function send(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain' });
  res.end(text);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PORT ?? 8080);
  const root = resolve(new URL('..', import.meta.url).pathname);
  await serve(root, port, process.env.HOST ?? '127.0.0.1');
  console.log(`selfnorm is served at http://localhost:${port}/`);
}
