/**
 * Runs a callback after the current microtasks, as a new event-loop task,
 * without setTimeout's clamping: setImmediate where it exists (Node), a
 * MessageChannel task elsewhere (browsers, workers).
 */
// Typed here rather than through @types/node, so that the core type-checks for browsers too.
const setImmediateOf = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;

export const nextTask: (f: () => void) => void =
  typeof setImmediateOf === 'function'
    ? (f) => void setImmediateOf(f)
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
