// snappyjs ships no types; these are the two functions the remote writer uses (snappy block format).
declare module 'snappyjs' {
  const snappy: {
    compress<T extends Uint8Array | ArrayBuffer>(input: T): T;
    uncompress<T extends Uint8Array | ArrayBuffer>(input: T, maxLength?: number): T;
  };
  export default snappy;
}
