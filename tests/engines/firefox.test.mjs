// Firefox ESR (Debian's) runs the smoke suite: see smoke.mjs.
import { smokeSuite } from './smoke.mjs';
import { openFirefox } from './drivers.mjs';

smokeSuite('firefox', openFirefox);
