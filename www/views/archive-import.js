// "Use the CIFAR-10 archive on this computer": a file picker and a drop zone (the whole dataset
// panel) for the dataset's official files, with the conversion's progress, notices and errors.
import { h, setText, fmtBytes, fmtDuration } from './format.js';

const PHASE = {
  reading: 'Reading (gunzip, tar, MD5; each shard checked and hashed)',
  statistics: "Computing the train split's statistics",
};
const PHASE_REMOTE = { ...PHASE, reading: 'Downloading and reading (gunzip, tar, MD5; each shard checked and hashed)' };

/** What the conversion is doing, in a line. */
function progressText(c) {
  if (!c.progress) return `Starting on ${c.files.join(', ')}${c.url ? ` from ${new URL(c.url).host}` : ''}…`;
  const { phase, loaded, total } = c.progress;
  const label = (c.url ? PHASE_REMOTE : PHASE)[phase];
  return total ? `${label}: ${fmtBytes(loaded)} of ${fmtBytes(total)}.` : `${label}: ${fmtBytes(loaded)}.`;
}

export function createArchiveImport(container, app) {
  const input = h('input', { type: 'file', accept: '.gz,.tgz,application/gzip', multiple: true, hidden: true, 'data-testid': 'archive-input' });
  input.addEventListener('change', () => {
    if (input.files.length) app.convertArchive(input.files);
    input.value = '';
  });
  const button = h('button', { type: 'button', class: 'btn btn-small archive-pick', 'data-testid': 'archive-pick', onclick: () => input.click() },
    'Use the CIFAR-10 archive on this computer');
  const help = h('p', { class: 'archive-help' },
    'Pick or drop ', h('code', {}, 'cifar-10-binary.tar.gz'), ' as downloaded from ',
    h('a', { href: 'https://www.cs.toronto.edu/~kriz/cifar-10.html', target: '_blank', rel: 'noopener' }, 'the CIFAR-10 page'),
    " (162 MB), or Fashion-MNIST's four .gz files. The page converts them here and keeps the dataset in this browser; nothing is uploaded.");
  const bar = h('progress', { max: 1, value: 0, hidden: true, 'data-testid': 'archive-progress', 'aria-label': 'Archive conversion' });
  const status = h('div', { class: 'archive-status', 'data-testid': 'archive-status', 'aria-live': 'polite' });
  const notices = h('div', { class: 'archive-notices', 'data-testid': 'archive-notices' });
  const box = h('div', { class: 'archive-import', 'data-testid': 'archive-import' }, button, input, help, bar, status, notices);
  container.append(box);

  const hasFiles = (event) => Array.from(event.dataTransfer?.types ?? []).includes('Files');
  container.addEventListener('dragover', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    box.dataset.drag = 'true';
  });
  container.addEventListener('dragleave', () => delete box.dataset.drag);
  container.addEventListener('drop', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    delete box.dataset.drag;
    app.convertArchive(event.dataTransfer.files);
  });

  return function update(state) {
    const c = state.conversion;
    button.disabled = !app.canConvert();
    // With no dataset anywhere, picking the archive is the one thing to do.
    button.classList.toggle('btn-primary', state.data.status === 'absent');
    button.classList.toggle('btn-small', state.data.status !== 'absent');
    // Once a dataset is in use, the how-to is one click away (the button's tooltip) rather than a paragraph.
    help.hidden = state.data.status === 'absent' || (state.data.status === 'complete' && c?.status !== 'running');
    button.title = 'Pick or drop cifar-10-binary.tar.gz (162 MB) or Fashion-MNIST\'s four .gz files: converted and kept in this browser, nothing uploaded';
    box.dataset.status = c?.status ?? 'none';
    bar.hidden = c?.status !== 'running';
    if (c?.progress?.total) {
      bar.max = c.progress.total;
      bar.value = c.progress.loaded;
    } else if (c?.progress) {
      bar.removeAttribute('value');
    }
    let text = '';
    if (c?.status === 'running') {
      text = progressText(c);
    } else if (c?.status === 'done') {
      const from = c.url ? ` (from ${new URL(c.url).host})` : '';
      text = `${c.files.join(', ')}${from} converted in ${fmtDuration(c.seconds)}: the ${c.name} dataset is stored in this browser${c.deferred ? '; reload the page (runs are kept) to train on it' : ''}.`;
    } else if (c?.status === 'error') {
      text = c.error.hint ? `${c.error.message} ${c.error.hint}` : c.error.message;
    }
    setText(status, text);
    setText(notices, (c?.notices ?? []).join(' '));
  };
}
