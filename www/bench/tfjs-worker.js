// Bench worker for TF.js 4.22 (the peer of selfnorm in the same browser), on the backend named in
// the URL (?backend=webgpu|wasm). A classic worker: the UMD bundles (copied into vendor/tfjs/ by
// scripts/bench-browser.mjs) define the global `tf`. Same protocol as selfnorm-worker.js.
//
// The workload is selfnorm's: 3072 → 20 × Dense(100) → Dense(10), softmax cross-entropy, Keras
// init (He/LeCun normal, truncated, zero biases; Glorot uniform output), BN momentum 0.99 and
// epsilon 1e-3. TF.js has no Nadam, so the optimizer is Adam with Keras's epsilon. A result row
// carries `gpu_counts`, the WebGPU calls its run made (gpu-count.js, loaded before TF.js).
importScripts('gpu-count.js', '../vendor/tfjs/tf.es2017.min.js', '../vendor/tfjs/tf-backend-webgpu.es2017.min.js', '../vendor/tfjs/tf-backend-wasm.es2017.min.js');

const backend = new URL(self.location.href).searchParams.get('backend') ?? 'wasm';
const INPUT = 3072;
const CLASSES = 10;
const INFER_BATCH = 1000;
const READBACK_EVERY = 25;
/** Distinct random batches cycled through, uploaded every step as selfnorm's trainer does. */
const POOL = 4;
/** The variants' learning rates (crate/src/variants.rs); they do not change the speed. */
const LR = { 'elu-he': 5e-5, 'elu-he-bn': 5e-4, 'selu-lecun': 7e-4, 'selu-alpha-dropout': 5e-4 };
const now = () => performance.now() / 1000;

let threads = null;
let peakBytes = 0;

function buildModel(variant) {
  if (!(variant in LR)) throw new Error(`unknown variant '${variant}' (${Object.keys(LR).join(', ')})`);
  const selu = variant.startsWith('selu-');
  const batchNorm = variant === 'elu-he-bn';
  const kernelInitializer = selu ? 'leCunNormal' : 'heNormal';
  const model = tf.sequential();
  // The notebook's (c) normalizes the inputs too.
  if (batchNorm) model.add(tf.layers.batchNormalization({ momentum: 0.99, epsilon: 1e-3, inputShape: [INPUT] }));
  for (let i = 0; i < 20; i++) {
    const dense = { units: 100, kernelInitializer, biasInitializer: 'zeros', ...(i === 0 && !batchNorm ? { inputShape: [INPUT] } : {}) };
    if (batchNorm) {
      model.add(tf.layers.dense(dense));
      model.add(tf.layers.batchNormalization({ momentum: 0.99, epsilon: 1e-3 }));
      model.add(tf.layers.activation({ activation: 'elu' }));
    } else {
      model.add(tf.layers.dense({ ...dense, activation: selu ? 'selu' : 'elu' }));
    }
  }
  // The notebook's (e): alpha dropout at rate 0.1 before the output layer.
  if (variant === 'selu-alpha-dropout') model.add(tf.layers.alphaDropout({ rate: 0.1 }));
  // Logits: the softmax is in the loss, as in selfnorm.
  model.add(tf.layers.dense({ units: CLASSES }));
  return model;
}

/** CIFAR-shaped random records: standard normal features, uniform one-hot labels. */
function randomBatch(size) {
  const x = new Float32Array(size * INPUT);
  for (let i = 0; i < x.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - Math.random()));
    const t = 2 * Math.PI * Math.random();
    x[i] = r * Math.cos(t);
    if (i + 1 < x.length) x[i + 1] = r * Math.sin(t);
  }
  const y = new Float32Array(size * CLASSES);
  for (let i = 0; i < size; i++) y[i * CLASSES + Math.floor(Math.random() * CLASSES)] = 1;
  return { x, y };
}

function memory() {
  const m = tf.memory();
  let bytes = m.numBytes;
  let wasmHeap = null;
  if (backend === 'wasm') {
    wasmHeap = tf.backend().wasm?.HEAPU8?.buffer.byteLength ?? null;
    if (wasmHeap != null) bytes = wasmHeap;
  } else if (m.numBytesAllocatedInGPU != null) {
    bytes = m.numBytesAllocatedInGPU;
  }
  peakBytes = Math.max(peakBytes, bytes);
  return {
    tensors: m.numTensors,
    tensor_bytes: m.numBytes,
    gpu_bytes_allocated: m.numBytesAllocatedInGPU ?? null,
    wasm_memory_bytes: wasmHeap,
    backend_peak_bytes: peakBytes,
  };
}

async function bench({ variant, batch, warmup_steps: warmup, steps, infer_passes: inferPasses }) {
  const model = buildModel(variant);
  const optimizer = tf.train.adam(LR[variant], 0.9, 0.999, 1e-7);
  const vars = model.trainableWeights.map((w) => w.val);
  const pool = Array.from({ length: POOL }, () => randomBatch(batch));
  let next = 0;

  /** One training step; with `readback`, the loss is read back (which waits for the step). */
  async function step(readback) {
    const { x, y } = pool[next++ % POOL];
    const cost = tf.tidy(() => {
      const xs = tf.tensor2d(x, [batch, INPUT]);
      const ys = tf.tensor2d(y, [batch, CLASSES]);
      return optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true })), readback, vars);
    });
    if (readback) {
      const [loss] = await cost.data();
      cost.dispose();
      if (!Number.isFinite(loss)) throw new Error(`non-finite loss (${loss}) in ${variant}`);
    }
  }

  try {
    let start = now();
    await step(true);
    const firstStepSeconds = now() - start;
    for (let i = 1; i < warmup; i++) await step(i === warmup - 1 || i % READBACK_EVERY === 0);
    start = now();
    for (let i = 1; i <= steps; i++) await step(i === steps || i % READBACK_EVERY === 0);
    const trainSamplesPerS = (steps * batch) / (now() - start);

    let inferSamplesPerS = null;
    if (inferPasses > 0) {
      const inputs = randomBatch(INFER_BATCH).x;
      const predict = async () => {
        const out = tf.tidy(() => model.predict(tf.tensor2d(inputs, [INFER_BATCH, INPUT])));
        await out.data();
        out.dispose();
      };
      await predict();
      start = now();
      for (let i = 0; i < inferPasses; i++) await predict();
      inferSamplesPerS = (inferPasses * INFER_BATCH) / (now() - start);
    }
    return {
      system: 'tfjs',
      backend,
      variant,
      batch,
      train_samples_per_s: trainSamplesPerS,
      infer_samples_per_s: inferSamplesPerS,
      first_step_seconds: firstStepSeconds,
      optimizer: 'adam (tfjs has no nadam)',
      threads,
      tfjs_version: tf.version.tfjs,
      ...memory(),
    };
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

const handlers = {
  async init() {
    if (backend === 'wasm') {
      // One thread: the non-threaded (SIMD) binary, and XNNPACK's pool pinned to 1 for good measure.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      tf.wasm.setThreadsCount(1);
      tf.wasm.setWasmPaths(new URL('../vendor/tfjs/', self.location.href).href);
    }
    if (!(await tf.setBackend(backend))) throw new Error(`TF.js could not start its ${backend} backend`);
    await tf.ready();
    let simd = null;
    if (backend === 'wasm') {
      threads = tf.wasm.getThreadsCount();
      simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    }
    return { type: 'ready', backend: tf.getBackend(), threads, simd, tfjs_version: tf.version.tfjs, ...memory() };
  },
  async run({ config }) {
    const { result: row, gpu_counts } = await self.gpuCount.during(() => bench(config));
    return { type: 'result', row: { ...row, gpu_counts } };
  },
  memory() {
    return { type: 'memory', ...memory() };
  },
};

self.onmessage = async ({ data }) => {
  try {
    self.postMessage({ id: data.id, ...(await handlers[data.type](data)) });
  } catch (error) {
    self.postMessage({ id: data.id, type: 'error', message: String(error?.message ?? error) });
  }
};
