/**
 * Message types for Binary HTTP (RFC 9292). A message is control data, field
 * sections, content and trailers; framing and padding are encoding choices,
 * not part of the message (RFC 9292 §3).
 */

/** One field line: `[name, value]`. Names are lowercase on the wire (RFC 9292 §3.6). */
export type BhttpField = [name: string, value: string];

/** A decoded request (RFC 9292 §3.4 control data, §3.6 fields, §3.7 content). */
export interface BhttpRequest {
  method: string;
  scheme: string;
  authority: string;
  path: string;
  headers: BhttpField[];
  body: Uint8Array;
  trailers: BhttpField[];
}

/** A 1xx response that precedes the final one (RFC 9292 §3.5.1). */
export interface BhttpInformational {
  status: number;
  headers: BhttpField[];
}

/** A decoded response (RFC 9292 §3.5). */
export interface BhttpResponse {
  informational: BhttpInformational[];
  status: number;
  headers: BhttpField[];
  body: Uint8Array;
  trailers: BhttpField[];
}

/** What an encoder accepts: a request whose optional parts default to empty. */
export interface BhttpRequestInit {
  method: string;
  scheme: string;
  authority?: string;
  path: string;
  headers?: readonly (readonly [string, string])[];
  body?: Uint8Array;
  trailers?: readonly (readonly [string, string])[];
}

/** What an encoder accepts: a response whose optional parts default to empty. */
export interface BhttpResponseInit {
  informational?: readonly {
    status: number;
    headers?: readonly (readonly [string, string])[];
  }[];
  status: number;
  headers?: readonly (readonly [string, string])[];
  body?: Uint8Array;
  trailers?: readonly (readonly [string, string])[];
}

/** RFC 9292 §3.3: known-length (framing 0/1) or indeterminate-length (framing 2/3). */
export type BhttpFraming = 'known-length' | 'indeterminate-length';

/** RFC 9292 §3.3 framing indicators. */
export const FRAMING = {
  knownLengthRequest: 0,
  knownLengthResponse: 1,
  indeterminateLengthRequest: 2,
  indeterminateLengthResponse: 3,
} as const;
