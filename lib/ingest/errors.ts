/** The file itself is unusable (bad header, broken JSON, truncated): nothing of it is imported, even with `partial`. */
export class IngestFileError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** A row that fails validation; the runner reports it with its line and goes on reading. */
export class RowError extends Error {}

export const reject = (reason: string): never => {
  throw new RowError(reason);
};
