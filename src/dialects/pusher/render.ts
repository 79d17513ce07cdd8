import { renderOnce } from '../../core/render-cache.js';
import type { Publication } from '../../core/types.js';
import { textFrame } from '../../transport/frame.js';

/** Events the dialect publishes itself for presence; never a client's or a backend's event. */
export const MEMBER_ADDED = 'pusher_internal:member_added';
export const MEMBER_REMOVED = 'pusher_internal:member_removed';

export const isMemberEvent = (event: string | undefined): boolean =>
  event === MEMBER_ADDED || event === MEMBER_REMOVED;

/**
 * A publication's `data` as Pusher clients expect it: always a string. A string is sent as it is
 * (what a Pusher trigger carries), binary data as base64, any other JSON value as its JSON text.
 */
export function dataText(data: Publication['data']): string {
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data.toString('base64');
  return JSON.stringify(data);
}

/**
 * `{"event", "channel", "data"}` for any publication of any dialect: an event-less one is
 * `message`. A client event on a presence channel also names its sender (`user_id`), as Pusher does.
 */
export function renderEvent(p: Publication): string {
  const event = p.event ?? 'message';
  const head = `{"event":${JSON.stringify(event)},"channel":${JSON.stringify(p.channel)},"data":${JSON.stringify(dataText(p.data))}`;
  if (p.sender !== undefined && p.channel.startsWith('presence-') && event.startsWith('client-'))
    return `${head},"user_id":${JSON.stringify(p.sender)}}`;
  return `${head}}`;
}

const renderFrame = (p: Publication): Buffer => textFrame(renderEvent(p));

/** The rendering as one WebSocket frame, built once per publication for every Pusher receiver. */
export const pusherFrame = (p: Publication): Buffer => renderOnce(p, 'pusher', renderFrame);
