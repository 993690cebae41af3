// Counts the WebGPU work a bench worker submits: compute dispatches, compute passes, queue
// submits (and the command buffers in them), buffer uploads (writeBuffer) and buffer maps
// (mapAsync), by wrapping those prototype methods with counters. Loaded before the engine (the
// wasm glue, TF.js) so that every call goes through a wrapper. A plain script with no import or
// export, so that both the module worker (import) and the classic TF.js worker (importScripts)
// load this one file; it defines self.gpuCount.
(() => {
  const counts = { dispatches: 0, passes: 0, submits: 0, command_buffers: 0, uploads: 0, maps: 0 };
  /** Replaces `proto[name]` by a wrapper that runs `count(args)` and then the original. */
  const wrap = (proto, name, count) => {
    const original = proto?.[name];
    if (typeof original !== 'function') return;
    proto[name] = function counted(...args) {
      count(args);
      return original.apply(this, args);
    };
  };
  const g = self;
  wrap(g.GPUComputePassEncoder?.prototype, 'dispatchWorkgroups', () => { counts.dispatches += 1; });
  wrap(g.GPUComputePassEncoder?.prototype, 'dispatchWorkgroupsIndirect', () => { counts.dispatches += 1; });
  wrap(g.GPUCommandEncoder?.prototype, 'beginComputePass', () => { counts.passes += 1; });
  wrap(g.GPUQueue?.prototype, 'submit', ([buffers]) => {
    counts.submits += 1;
    counts.command_buffers += buffers?.length ?? 0;
  });
  wrap(g.GPUQueue?.prototype, 'writeBuffer', () => { counts.uploads += 1; });
  wrap(g.GPUBuffer?.prototype, 'mapAsync', () => { counts.maps += 1; });

  g.gpuCount = {
    /** Whether this worker has WebGPU to count (the prototypes exist). */
    available: typeof g.GPUQueue === 'function',
    /** Runs `fn` and returns its result with the WebGPU calls made meanwhile (`gpu_counts`). */
    async during(fn) {
      const before = { ...counts };
      const result = await fn();
      const delta = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v - before[k]]));
      return { result, gpu_counts: this.available ? delta : null };
    },
  };
})();
