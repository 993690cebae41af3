// The dataset panel's first screen when neither the host nor this browser has CIFAR-10: what the
// dataset is (`intro`, above the panel's one control, the archive picker), then the ways to get it
// with their sizes and times, and what works without it (`ways`, below).
import { h } from './format.js';

const CIFAR_PAGE = 'https://www.cs.toronto.edu/~kriz/cifar-10.html';

export function createDatasetWelcome() {
  const intro = h('p', { class: 'welcome-lead', 'data-testid': 'dataset-welcome' }, 'Welcome! The exercise trains on ', h('strong', {}, 'CIFAR-10'),
    ', which is not in this browser yet: 60,000 colour images of 32 × 32 pixels in 10 classes (45,000 train, 5,000 validate, 10,000 test).');
  const ways = h('div', { class: 'dataset-welcome' },
    h('p', { class: 'welcome-ways-title' }, 'Ways to get it:'),
    h('ol', { class: 'welcome-ways' },
      h('li', {}, 'Download ', h('code', {}, 'cifar-10-binary.tar.gz'), ' (162 MB, "CIFAR-10 binary version") from ',
        h('a', { href: CIFAR_PAGE, target: '_blank', rel: 'noopener' }, 'the CIFAR-10 page'),
        ' and pick it above, or drop it on this panel. The page converts it in seconds (about 5 s in Chromium on two CPU cores) and keeps it for the next visits; nothing is uploaded.'),
      h('li', {}, 'Open this page with ', h('code', {}, '?archive=URL'), ' (the archive on any host that allows CORS) or ',
        h('code', {}, '?shards=URL'), ' (shards made by ', h('code', {}, 'scripts/prepare-data'), '): the page fetches them by itself.'),
      h('li', {}, 'From the repository, ', h('code', {}, 'scripts/serve'), ' fetches the archive once and serves it with the site: the page makes the dataset without a click.')),
    h('p', { class: 'welcome-meanwhile' }, 'Meanwhile the preview and the lessons run on a small built-in synthetic set of the same shape.'));
  return {
    intro,
    ways,
    update(state) {
      const shown = state.data.status === 'absent' && !state.data.seekingArchive && state.conversion?.status !== 'running';
      intro.hidden = !shown;
      ways.hidden = !shown;
    },
  };
}
