// A plain static server: the built site (dist/, or www/ for the benchmark page) at /, the prepared
// datasets (data/) at /data/, with correct MIME types (application/wasm for streaming
// compilation). Response headers come from the site's own _headers file, as on static hosts
// that read one (Netlify, Cloudflare Pages); with `headers: false` it sends none, like hosts that
// cannot (GitHub Pages), where the site's service worker supplies cross-origin isolation.
//
//   node scripts/static-server.mjs            dist/ with its _headers (PORT, HOST)
//   SITE=www node scripts/static-server.mjs   the unbuilt www/ folder
import { createServer } from 'node:http';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.bin': 'application/octet-stream', '.ico': 'image/x-icon',
};

/**
 * Starts serving `<root>/<site>` and (unless `data` is false) `<root>/data`, or the folder `data`
 * names, at /data/ on `port`; resolves with the server once listening.
 */
export function serve(root, port, host = '127.0.0.1', { site = 'dist', headers = true, data = true } = {}) {
  const siteDir = resolve(root, site);
  if (!existsSync(join(siteDir, 'index.html'))) {
    throw new Error(`${siteDir} has no index.html: run scripts/build-site first`);
  }
  const rules = headers ? headerRules(join(siteDir, '_headers')) : [];
  const dataDir = typeof data === 'string' ? resolve(data) : resolve(root, 'data');
  const mounts = [...(data ? [['/data/', dataDir]] : []), ['/', siteDir]];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const [prefix, dir] = mounts.find(([p]) => path.startsWith(p));
    let file = normalize(join(dir, path.slice(prefix.length)));
    if (!file.startsWith(dir)) return send(res, 403, 'forbidden');
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const { size } = statSync(file);
      const extra = Object.assign({}, ...rules.filter((r) => r.pattern.test(path)).map((r) => r.headers));
      res.writeHead(200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Length': size,
        'Cache-Control': 'no-cache',
        ...extra,
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
    } catch {
      send(res, 404, `not found: ${path}`);
    }
  });
  return new Promise((ok, fail) => server.once('error', fail).listen(port, host, () => ok(server)));
}

/** The rules of a Netlify-style _headers file: a path pattern (`*` any characters), then indented `Name: value` lines. */
function headerRules(file) {
  if (!existsSync(file)) return [];
  const rules = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim() || line.trim().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      const pattern = new RegExp(`^${line.trim().split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
      rules.push({ pattern, headers: {} });
    } else if (rules.length) {
      const at = line.indexOf(':');
      rules.at(-1).headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
  }
  return rules;
}

function send(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain' });
  res.end(text);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PORT ?? 8080);
  const root = resolve(new URL('..', import.meta.url).pathname);
  await serve(root, port, process.env.HOST ?? '127.0.0.1', { site: process.env.SITE ?? 'dist' });
  console.log(`selfnorm is served at http://localhost:${port}/`);
}
