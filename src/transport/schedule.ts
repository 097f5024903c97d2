/**
 * Runs a callback after the current microtasks, as a new event-loop task,
 * without setTimeout's clamping: setImmediate where it exists (Node), a
 * MessageChannel task elsewhere (browsers, workers).
 */
export const nextTask: (f: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? (f) => void globalThis.setImmediate(f)
    : typeof globalThis.MessageChannel === 'function'
      ? (() => {
          const ch = new MessageChannel();
          const queue: Array<() => void> = [];
          ch.port1.onmessage = () => queue.shift()?.();
          return (f: () => void) => {
            queue.push(f);
            ch.port2.postMessage(0);
          };
        })()
      : (f) => void setTimeout(f, 0);
