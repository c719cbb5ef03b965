/**
 * Slack's external upload flow (files.upload is gone): files.getUploadURLExternal, the bytes POSTed to the
 * URL it gives, then files.completeUploadExternal to share the file in a channel or thread (scope files:write).
 */
import type { WebClient } from '@slack/web-api';

/** The upload failed at one of its three steps; nothing was shared. */
export class FileUploadError extends Error {
  override readonly name = 'FileUploadError';
}

/** A file and where to share it. */
export interface FileUpload {
  readonly bytes: Uint8Array;
  readonly filename: string;
  readonly title: string;
  /** For screen readers. */
  readonly altText: string;
  readonly channelId: string;
  readonly threadTs?: string;
  /** The message text that introduces the file (mrkdwn). */
  readonly initialComment?: string;
}

/**
 * Uploads a file and shares it; returns its id.
 *
 * @example await uploadFile(client, { bytes: png, filename: 'red.png', title: 'RED', altText: '…', channelId: 'C0123' });
 */
export async function uploadFile(client: WebClient, file: FileUpload): Promise<string> {
  // `alt_txt` is the name Slack's API reads (the SDK's type says alt_text).
  const ticketArguments = { filename: file.filename, length: file.bytes.length, alt_txt: file.altText };
  const ticket = await client.files.getUploadURLExternal(ticketArguments);
  if (!ticket.upload_url || !ticket.file_id)
    throw new FileUploadError('files.getUploadURLExternal returned no upload URL or file id');
  let response: Response;
  try {
    response = await fetch(ticket.upload_url, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: file.bytes,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (cause) {
    throw new FileUploadError(`the upload of ${file.filename} failed`, { cause });
  }
  if (!response.ok)
    throw new FileUploadError(
      `the upload URL answered ${response.status} for ${file.filename}: ${(await response.text()).slice(0, 200)}`,
    );
  await client.files.completeUploadExternal({
    files: [{ id: ticket.file_id, title: file.title }],
    channel_id: file.channelId,
    ...(file.threadTs ? { thread_ts: file.threadTs } : {}),
    ...(file.initialComment ? { initial_comment: file.initialComment } : {}),
  });
  return ticket.file_id;
}
