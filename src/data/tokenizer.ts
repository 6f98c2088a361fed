// What a language model's tokenizer offers: the character-level vocabulary of text:FILE datasets
// (src/data/text.ts) or GPT-2's byte-level BPE (src/data/bpe.ts). A model file carries its tokenizer.
export interface Tokenizer {
  readonly kind: 'char' | 'bpe';
  /** number of token ids */
  readonly size: number;
  /** Token ids of text; text the tokenizer cannot represent is a UserError naming `where`. */
  encode(text: string, where: string): Int32Array;
  decode(ids: ArrayLike<number>): string;
}
