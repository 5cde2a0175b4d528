/** Run at most `limit` async jobs at once (FIFO; the queue is consumed by index, not shifted). */
export function limiter(limit: number): <T>(job: () => Promise<T>) => Promise<T> {
  let active = 0;
  let queue: (() => void)[] = [];
  let head = 0;
  const next = () => {
    if (head < queue.length) {
      const wake = queue[head++];
      if (head > 1024 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
      wake();
    }
  };
  return async <T>(job: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await job();
    } finally {
      active--;
      next();
    }
  };
}
