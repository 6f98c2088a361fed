// A UserError is bad input from the person running winnow: the CLI prints its message on one line
// (no stack trace) and exits non-zero. Messages name the file, field or flag, what was expected
// and what was found.
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export function userError(message: string): never {
  throw new UserError(message);
}
