// A UserError is bad input from the person running winnow: the CLI prints its message on one line
// (no stack trace) and exits non-zero. Messages name the file, field or flag, what was expected
// and what was found. Line breaks inside the message (e.g. a JSON.parse excerpt of the offending
// text) are folded into spaces, so the message is always one line.
export class UserError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*[\r\n]+\s*/g, ' '));
    this.name = 'UserError';
  }
}

export function userError(message: string): never {
  throw new UserError(message);
}
