// www/ (after scripts/build-web) → dist/, a site any static host can serve:
//   dist/index.html               the page, pointing into this build's folder
//   dist/assets/<version>/…       every file the page loads (JS, CSS, wasm, uPlot, the workers)
//   dist/sw.js                    the service worker, with this build's version and file list
//   dist/_headers, dist/.nojekyll for hosts that read them
// <version> is a hash of the files' contents, so a new deploy never mixes with a cached old one
// and the assets can be cached for good. The benchmark page (bench.html) stays a dev tool in www/.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);
const www = join(root, 'www');
const dist = join(root, 'dist');
const NOT_SHELL = [/^index\.html$/, /^bench\.html$/, /^bench\//, /^vendor\/tfjs\//, /^sw\.js$/, /^_headers$/, /(^|\/)\./, /\.d\.ts$/];
const NEEDED = ['pkg/selfnorm.js', 'pkg/selfnorm_bg.wasm', 'vendor/uPlot.esm.js', 'vendor/uPlot.min.css'];

const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
const files = walk(www).map((f) => relative(www, f)).filter((f) => !NOT_SHELL.some((re) => re.test(f))).sort();
const missing = NEEDED.filter((f) => !files.includes(f));
if (missing.length) {
  console.error(`build-site: www/ lacks ${missing.join(', ')}: run scripts/build-web first`);
  process.exit(1);
}

const hash = createHash('sha256');
for (const f of files) hash.update(f).update('\0').update(readFileSync(join(www, f)));
const version = hash.digest('hex').slice(0, 12);
const assets = `assets/${version}`;

rmSync(dist, { recursive: true, force: true });
for (const f of files) {
  mkdirSync(dirname(join(dist, assets, f)), { recursive: true });
  copyFileSync(join(www, f), join(dist, assets, f));
}

// The page's own references (src="boot.js", href="styles.css", …) move into the build's folder.
const index = readFileSync(join(www, 'index.html'), 'utf8')
  .replace(/(src|href)="([^":#?]+)"/g, (all, attr, path) => (files.includes(path) ? `${attr}="${assets}/${path}"` : all));
writeFileSync(join(dist, 'index.html'), index);

const build = { version, files: ['./', 'index.html', ...files.map((f) => `${assets}/${f}`)] };
const sw = readFileSync(join(www, 'sw.js'), 'utf8');
const placeholder = 'const BUILD = null;';
if (!sw.includes(placeholder)) throw new Error(`www/sw.js lacks the line "${placeholder}" that the build fills in`);
writeFileSync(join(dist, 'sw.js'), sw.replace(placeholder, `const BUILD = ${JSON.stringify(build)};`));

const headers = readFileSync(join(www, '_headers'), 'utf8');
writeFileSync(join(dist, '_headers'), `${headers}/assets/*\n  Cache-Control: public, max-age=31536000, immutable\n`);
// GitHub Pages would otherwise run Jekyll, which drops files whose names start with "_".
writeFileSync(join(dist, '.nojekyll'), '');

const bytes = files.reduce((n, f) => n + readFileSync(join(www, f)).length, 0);
console.log(`dist/: ${files.length} files (${(bytes / 2 ** 20).toFixed(1)} MiB) in ${assets}/, index.html, sw.js, _headers`);
