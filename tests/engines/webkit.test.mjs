// WebKitGTK's MiniBrowser (Debian's) runs the smoke suite: see smoke.mjs. Needs a display: run
// under xvfb-run. WebKit takes navigator.language from the system locale; as seen with WebKitGTK
// 2.50, LANG=C gives "en-US" and LANG=C.UTF-8 (Debian's default locale) gives "C", which the
// Intl API rejects.
import { smokeSuite } from './smoke.mjs';
import { openWebKit } from './drivers.mjs';

smokeSuite('webkit', (options) => openWebKit({ env: { LANG: 'C', ...options?.env } }), { cLocale: { LANG: 'C.UTF-8' } });
