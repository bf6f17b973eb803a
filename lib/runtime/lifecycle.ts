/**
 * What a process must undo when it stops, in the reverse order it was set up: jobs, then the servers
 * (draining in-flight requests), then Apollo, then the databases, then the data folder's lock.
 */
export class Lifecycle {
  private readonly steps: { name: string; run: () => Promise<void> | void }[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly log: (line: string) => void = () => {}) {}

  /** Registers a step of the shutdown; steps run last-registered first. */
  onStop(name: string, run: () => Promise<void> | void): void {
    this.steps.push({ name, run });
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** Runs every step once (a second call waits for the first); a failing step is logged and the rest still run. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const failures: string[] = [];
      for (const step of [...this.steps].reverse()) {
        try {
          await step.run();
        } catch (error) {
          failures.push(step.name);
          this.log(`stopping ${step.name} failed: ${(error as Error).message}`);
        }
      }
      if (failures.length) throw new Error(`could not stop cleanly: ${failures.join(', ')}`);
    })();
    return this.stopping;
  }
}

/** A failure the user caused (bad arguments, a folder in use): its message is printed without a stack. */
export class UserFacingError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

export interface MainOptions {
  log?: (line: string) => void;
}

/**
 * Runs an entry point's `main` with one shutdown path: SIGTERM or SIGINT stops it gracefully (the process
 * exits 0 once every step has run; a second signal exits at once with 130), a start-up failure stops what
 * was started and exits 1. `main` returns when the service is up (servers) or when its work is done (CLIs:
 * `done: true`).
 */
export function runMain(main: (lifecycle: Lifecycle) => Promise<{ done?: boolean; exitCode?: number } | void>, options: MainOptions = {}): void {
  const log = options.log ?? ((line: string) => console.error(line));
  const lifecycle = new Lifecycle(log);
  const finish = (code: number) =>
    lifecycle.stop().then(
      () => process.exit(code),
      (error: Error) => {
        log(error.message);
        process.exit(code || 1);
      },
    );
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log(`${signal} again: exiting without waiting`);
      process.exit(130);
    }
    log(`${signal}: stopping (in-flight requests finish first)`);
    void finish(0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  main(lifecycle).then(
    (result) => {
      if (result?.done) void finish(result.exitCode ?? 0);
    },
    (error: Error) => {
      const expected = error instanceof UserFacingError;
      log(expected ? error.message : (error?.stack ?? String(error)));
      void finish(error instanceof UserFacingError ? error.exitCode : 1);
    },
  );
}
