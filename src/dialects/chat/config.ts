// The chat dialect's part of the config: its `chat` section.
import { bool, NAMESPACE_NAME, originList, positiveInt, section, str } from '../../app/config-fields.js';

export const chatSection = section({
  namespace: str()
    .regex(NAMESPACE_NAME, { error: 'expected a namespace name' })
    .default('chat')
    .describe('Namespace of the chat rooms; it exists even when `namespaces` does not list it'),
  kozma: bool().default(false).describe('Run the Kozma Prutkov bot (room `kozma`)'),
  max_messages_in_room: positiveInt().default(1024).describe('History kept per room'),
  max_message_length: positiveInt().default(10500).describe('Characters; longer texts are cut'),
  max_room_title_length: positiveInt().default(50).describe('Characters; longer room names are cut'),
  max_username_length: positiveInt().default(50).describe('Characters; longer usernames are refused (400)'),
  max_rooms: positiveInt()
    .default(1000)
    .describe(
      'Rooms kept; one more evicts the least recently active room with its history (anyone can create rooms)',
    ),
  max_new_rooms_per_minute: positiveInt()
    .default(30)
    .describe('New rooms one client address may create per minute; past it the socket closes with 1008'),
  rooms_listed: positiveInt()
    .default(100)
    .describe('`GET /api/rooms` lists at most this many rooms: the most recently active'),
  allowed_origins: originList()
    .optional()
    .describe('Browser origins allowed to open chat WebSockets; unset: any'),
}).describe('The nane chat dialect (`/ws?username=`, `/api/*`, the page at `/`)');
