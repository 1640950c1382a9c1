// The AEAD used for block payloads: crypto/aead.ts AES-256-GCM (iv | ciphertext | tag).

import { openAesGcm, sealAesGcm } from "../crypto/aead.js";
import type { BlockCipher } from "../block/block-codec.js";

export const blockCipher: BlockCipher = { seal: sealAesGcm, open: openAesGcm };
