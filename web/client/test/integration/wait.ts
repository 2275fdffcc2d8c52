/**
 * Waiting for a condition in a test: it is checked again whenever one of
 * the given emitters reports anything (and on a slow fallback tick for
 * conditions that depend on the server alone), and the wait fails with
 * `what` after `timeoutMs`.
 */

interface Source {
  on(event: never, listener: (payload: never) => void): () => void;
}

/** Resolves once `check()` is true. */
export async function until(what: string, check: () => boolean | Promise<boolean>, sources: Array<[Source, string]> = [], timeoutMs = 20_000): Promise<void> {
  if (await check()) return;
  await new Promise<void>((resolve, reject) => {
    const offs: Array<() => void> = [];
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      for (const off of offs) off();
      clearTimeout(timer);
      clearInterval(tick);
      if (error) reject(error);
      else resolve();
    };
    const recheck = () => {
      Promise.resolve(check()).then(
        (ok) => ok && finish(),
        (e: unknown) => finish(e instanceof Error ? e : new Error(String(e))),
      );
    };
    for (const [source, event] of sources) {
      offs.push((source.on as unknown as (e: string, l: () => void) => () => void).call(source, event, recheck));
    }
    const tick = setInterval(recheck, 250);
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`)), timeoutMs);
  });
}
