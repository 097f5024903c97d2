/**
 * A DAP request refused: the problem type of draft-09 section 3.2, the HTTP
 * status, and a message that names what was wrong but never a secret.
 */
import type { DapProblem } from '../../dap/version.js';

export class DapRequestError extends Error {
  override readonly name = 'DapRequestError';
  constructor(
    readonly problem: DapProblem,
    readonly status: 400 | 403 | 404 | 409 | 500 | 502,
    message: string,
    /** base64url task id, echoed in the problem document as `taskid`. */
    readonly taskId?: string,
  ) {
    super(message);
  }
}
