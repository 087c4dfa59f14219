// The one error for a diverged run: a loss, a statistic or a parameter became NaN or ±Infinity.
// Thrown by the algorithms after an update and by the session before a checkpoint; the trainer
// then stops the run and keeps its last good checkpoint. A3C workers send it by name.
export class NonFiniteError extends Error {
  constructor(what: string) {
    super(`training diverged: ${what} is NaN or Infinity; the run stopped and its last good checkpoint is kept`);
    this.name = 'NonFiniteError';
  }
}
