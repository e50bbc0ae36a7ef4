import { describe, expect, it } from 'vitest';
import { acceptableDeflateOffers } from './negotiation.js';

describe('acceptableDeflateOffers', () => {
  it('keeps the offers the server can honour, in the client order, in canonical form', () => {
    expect(acceptableDeflateOffers('permessage-deflate; client_max_window_bits')).toBe(
      'permessage-deflate; client_max_window_bits',
    );
    expect(
      acceptableDeflateOffers(
        'Permessage-Deflate; Server_Max_Window_Bits="10"; client_max_window_bits=9, x-webkit-foo',
      ),
    ).toBe('permessage-deflate; server_max_window_bits=10; client_max_window_bits=9');
    expect(
      acceptableDeflateOffers(
        'permessage-deflate; server_max_window_bits=8, permessage-deflate; server_no_context_takeover',
      ),
    ).toBe('permessage-deflate; server_no_context_takeover');
  });

  it('declines offers it cannot honour or that are malformed', () => {
    for (const offer of [
      'permessage-deflate; server_max_window_bits=8',
      'permessage-deflate; server_max_window_bits',
      'permessage-deflate; server_max_window_bits=16',
      'permessage-deflate; client_max_window_bits=7',
      'permessage-deflate; client_max_window_bits=abc',
      'permessage-deflate; server_no_context_takeover=1',
      'permessage-deflate; client_no_context_takeover; client_no_context_takeover',
      'permessage-deflate; mystery',
      'x-other-extension',
      '',
    ])
      expect(acceptableDeflateOffers(offer), offer).toBeUndefined();
  });
});
