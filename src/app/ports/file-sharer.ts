/** How a use case's file (an audit export) gets into a chat channel. */

/** A file to share. */
export interface SharedFile {
  readonly bytes: Uint8Array;
  readonly filename: string;
  readonly title: string;
  /** For screen readers. */
  readonly altText: string;
}

/** Shares files in chat. */
export interface FileSharer {
  /**
   * Uploads the file and shares it in the channel with a comment; returns the file's id.
   *
   * @example await files.shareFile('C0RELEASES', { bytes, filename: 'audit.csv', title: 'Audit', altText: 'CSV' }, { comment: '…' });
   */
  shareFile(channelId: string, file: SharedFile, options: { comment: string }): Promise<string>;
}
