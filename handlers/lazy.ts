/**
 * A value built once per container on first use, and started at load time inside Lambda (so the cold
 * start does it, not the first request); a failure is not cached, so the next call tries again.
 */
export function once<T>(build: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  const get = () => {
    value ??= build().catch((error: unknown) => {
      value = undefined;
      throw error;
    });
    return value;
  };
  if (process.env.AWS_LAMBDA_FUNCTION_NAME) get().catch(() => undefined);
  return get;
}
