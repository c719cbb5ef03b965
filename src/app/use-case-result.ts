/** What a use case answers a person: done, or refused with a sentence (shown ephemerally in Slack). */
export type UseCaseResult<T> = { ok: true; value: T; message: string } | { ok: false; message: string };

export const done = <T>(value: T, message: string): UseCaseResult<T> => ({ ok: true, value, message });
export const refused = <T>(message: string): UseCaseResult<T> => ({ ok: false, message });
