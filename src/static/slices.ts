/** Long work in the serving thread, cut into slices between which the event loop runs. */

/**
 * A function to call between steps of the work: once `sliceMs` of work has run since the
 * last turn it returns a promise of the next turn of the event loop (answer requests, then
 * go on), else undefined (go on at once). 0 never waits.
 */
export function slicer(sliceMs: number): () => Promise<void> | undefined {
  if (sliceMs <= 0) return () => undefined;
  let since = performance.now();
  return () => {
    if (performance.now() - since < sliceMs) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        since = performance.now();
        resolve();
      }),
    );
  };
}
