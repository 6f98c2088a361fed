#!/usr/bin/env python3
"""PyTorch peer of winnow's GPT-2 import: writes a TINY GPT-2 in the Hugging Face layout, with its byte-level
BPE tokenizer, and the answers winnow must reproduce. Needs torch only (transformers, tokenizers, regex and
safetensors are not installed here), so the pieces are re-implemented from their reference code:

  * the tokenizer follows openai/gpt-2 src/encoder.py (bytes_to_unicode, get_pairs, Encoder.bpe, encode,
    decode) with Hugging Face's GPT2Tokenizer treatment of "<|endoftext|>" (a special token, never split);
    the pre-tokenizer pattern
        's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
    is matched by hand (Python's `re` has no \\p{L}): letters are Unicode categories L*, digits N*, and \\s is
    the White_Space property, as in the `regex` module GPT-2 uses; the alternatives are tried in order and
    `\\s+(?!\\S)` backs off one character before a non-space, exactly as the backtracking regex does;
  * the merges are learned on the first 20,000 characters of tinyshakespeare (the usual byte-level BPE
    training: most frequent adjacent pair within pre-tokens, ties to the smallest pair), 150 merges;
  * the model follows transformers' modeling_gpt2 (GPT2Model + tied LM head): Conv1D weights stored
    [in, out] (y = x @ W + b), pre-LayerNorm blocks (eps 1e-5), fused c_attn split into q, k, v, causal
    softmax(q kᵀ / √hd), gelu_new (the tanh approximation), ln_f, logits = h @ wteᵀ;
  * the weights: random (larger than GPT-2's initialization, LayerNorm and biases non-trivial), then 300 Adam
    steps on the corpus so that the model beats uniform and generates something;
  * safetensors is written by hand (u64 header length, JSON header padded with spaces, F32 data).

  python3 bench/pytorch_gpt2.py [--out test/fixtures/gpt2-tiny]

writes model.safetensors (GPT2Model names: wte.weight, h.0.attn.c_attn.weight, …), config.json, vocab.json,
merges.txt, and expected.safetensors / expected.json: the test text, its token ids, the logits (computed in
float64, stored F32) of its first two context windows and of its first 7 tokens, and the mean loss (nats per
token) over non-overlapping context windows of the test text.
test/nn/gpt2-import.test.ts and test/cli/gpt2.test.ts hold winnow against them without torch.
"""
import argparse, json, math, os, sys, unicodedata
from collections import Counter
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_gpt import write_safetensors  # noqa: E402  (the F32 writer the other GPT peers use)

SPECIAL = '<|endoftext|>'
CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")
# The White_Space property (what \s matches in the `regex` module and in Hugging Face's tokenizers).
WHITE_SPACE = set(map(chr, [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000]))


def bytes_to_unicode():
    """openai/gpt-2 encoder.py: every byte to a printable unicode character (printable bytes keep their own)."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(2 ** 8):
        if b not in bs:
            bs.append(b)
            cs.append(2 ** 8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def get_pairs(word):
    return set(zip(word, word[1:]))


def is_letter(c): return unicodedata.category(c).startswith('L')
def is_number(c): return unicodedata.category(c).startswith('N')
def is_space(c): return c in WHITE_SPACE
def is_other(c): return not (is_space(c) or is_letter(c) or is_number(c))


def pretokenize(text):
    """re.findall of GPT-2's pattern, by hand (see the module docstring)."""
    out, i, n = [], 0, len(text)

    def run(j, pred):
        while j < n and pred(text[j]):
            j += 1
        return j
    while i < n:
        c = next((c for c in CONTRACTIONS if text.startswith(c, i)), None)
        if c:
            out.append(c); i += len(c); continue
        matched = False
        for pred in (is_letter, is_number, is_other):  # ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
            start = i + 1 if text[i] == ' ' and i + 1 < n and pred(text[i + 1]) else i
            if pred(text[start]):
                j = run(start, pred)
                out.append(text[i:j]); i = j; matched = True
                break
        if matched:
            continue
        j = run(i, is_space)  # text[i] is white space here
        if j == n or j - 1 == i:
            out.append(text[i:j]); i = j  # `\s+(?!\S)` to the end, or `\s+` for a single space before a non-space
        else:
            out.append(text[i:j - 1]); i = j - 1  # `\s+(?!\S)` backs off one, leaving it to the next token
    return out


def split_special(text):
    """Hugging Face's GPT2Tokenizer: "<|endoftext|>" is a whole token, the text between is tokenized."""
    parts = text.split(SPECIAL)
    for k, p in enumerate(parts):
        if k:
            yield True, SPECIAL
        if p:
            yield False, p


class Encoder:
    """openai/gpt-2 src/encoder.py."""
    def __init__(self, encoder, bpe_merges):
        self.encoder = encoder
        self.decoder = {v: k for k, v in encoder.items()}
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {v: k for k, v in self.byte_encoder.items()}
        self.bpe_ranks = dict(zip(bpe_merges, range(len(bpe_merges))))
        self.cache = {}

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token)
        pairs = get_pairs(word)
        if not pairs:
            return token
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float('inf')))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = get_pairs(word)
        word = ' '.join(word)
        self.cache[token] = word
        return word

    def encode(self, text):
        bpe_tokens = []
        for special, part in split_special(text):
            if special:
                bpe_tokens.append(self.encoder[SPECIAL]); continue
            for token in pretokenize(part):
                token = ''.join(self.byte_encoder[b] for b in token.encode('utf-8'))
                bpe_tokens.extend(self.encoder[t] for t in self.bpe(token).split(' '))
        return bpe_tokens

    def decode(self, tokens):
        text = ''.join(self.decoder[t] for t in tokens)
        return bytearray(self.byte_decoder[c] for c in text).decode('utf-8', errors='replace')


def learn_merges(text, count):
    """Byte-level BPE training: repeatedly merge the most frequent adjacent pair inside pre-tokens."""
    b2u = bytes_to_unicode()
    words = Counter(tuple(b2u[b] for b in w.encode('utf-8')) for w in pretokenize(text))
    merges = []
    for _ in range(count):
        pairs = Counter()
        for w, f in words.items():
            for p in zip(w, w[1:]):
                pairs[p] += f
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        merged = Counter()
        for w, f in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1]); i += 2
                else:
                    out.append(w[i]); i += 1
            merged[tuple(out)] += f
        words = merged
    return merges


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gpt2_logits(sd, cfg, ids):
    """transformers' GPT2LMHeadModel forward (eval mode) on the state dict sd, ids [B, T]."""
    B, T = ids.shape
    D, H, L = cfg['n_embd'], cfg['n_head'], cfg['n_layer']
    hd = D // H
    conv1d = lambda x, p: torch.addmm(sd[p + '.bias'], x.reshape(-1, x.size(-1)), sd[p + '.weight']).view(*x.shape[:-1], -1)
    ln = lambda x, p: F.layer_norm(x, (D,), sd[p + '.weight'], sd[p + '.bias'], eps=cfg['layer_norm_epsilon'])
    h = sd['wte.weight'][ids] + sd['wpe.weight'][torch.arange(T)]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for i in range(L):
        p = f'h.{i}'
        q, k, v = conv1d(ln(h, p + '.ln_1'), p + '.attn.c_attn').split(D, dim=2)
        q, k, v = [t.view(B, T, H, hd).permute(0, 2, 1, 3) for t in (q, k, v)]
        w = torch.matmul(q, k.transpose(-1, -2)) / (v.size(-1) ** 0.5)
        w = torch.where(causal, w, torch.tensor(torch.finfo(w.dtype).min, dtype=w.dtype))
        a = torch.matmul(w.softmax(dim=-1), v).permute(0, 2, 1, 3).reshape(B, T, D)
        h = h + conv1d(a, p + '.attn.c_proj')
        h = h + conv1d(gelu_new(conv1d(ln(h, p + '.ln_2'), p + '.mlp.c_fc')), p + '.mlp.c_proj')
    return ln(h, 'ln_f') @ sd['wte.weight'].t()


# Unicode (accents, CJK, Greek, full-width letters, emoji, non-ASCII digits), runs of spaces, tabs and
# newlines, no-break and ideographic spaces, contractions in both cases, the special token, trailing spaces.
TEST_TEXT = ("Hello world! It's a test: we'll see if they've done it, I'm sure you'd agree. DON'T shout, don't.\n"
             "Ünïcödé café naïve — 中文字符 and Ελληνικά, ＦＵＬＬ width; emoji 😀🎉 x2, digits 123 4567 ٣٤ ½.\n\n"
             "   indented\tby   spaces\t\ttabs  \n  trailing   \n"
             "no\u00a0break\u3000ideographic  'quoted' rock'n'roll<|endoftext|>ROMEO: what's   here?  ")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='test/fixtures/gpt2-tiny')
    ap.add_argument('--corpus', default='data/embedded/shakespeare-char/input.txt')
    ap.add_argument('--merges', type=int, default=150)
    ap.add_argument('--steps', type=int, default=300)
    a = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)

    corpus = open(a.corpus, encoding='utf-8').read()[:20000]
    merges = learn_merges(corpus, a.merges)
    tokens = list(bytes_to_unicode().values()) + [x + y for x, y in merges] + [SPECIAL]
    vocab = {t: i for i, t in enumerate(tokens)}
    assert len(vocab) == len(tokens), 'a merge repeats a token'
    enc = Encoder(vocab, merges)
    ids = enc.encode(TEST_TEXT)
    assert enc.decode(ids) == TEST_TEXT
    # the pre-tokenizer on the pattern's corner cases (the backtracking of \s+(?!\S))
    assert pretokenize('a  b') == ['a', ' ', ' b'] and pretokenize('a \n b') == ['a', ' \n', ' b'] and pretokenize('x  ') == ['x', '  ']
    assert pretokenize("it's 'em") == ['it', "'s", " '", 'em'] and pretokenize('\n\nx') == ['\n', '\n', 'x']

    cfg = {'model_type': 'gpt2', 'architectures': ['GPT2LMHeadModel'], 'n_layer': 2, 'n_head': 2, 'n_embd': 32, 'n_positions': 32,
           'n_ctx': 32, 'vocab_size': len(tokens), 'activation_function': 'gelu_new', 'layer_norm_epsilon': 1e-5, 'n_inner': None,
           'bos_token_id': vocab[SPECIAL], 'eos_token_id': vocab[SPECIAL]}
    D, L, T, V = cfg['n_embd'], cfg['n_layer'], cfg['n_positions'], cfg['vocab_size']
    torch.manual_seed(2024)
    # weights scaled well above GPT-2's 0.02 so attention and logits are far from uniform; LayerNorm and biases non-trivial
    rnd = lambda *s, std=0.2: torch.randn(*s, dtype=torch.float64) * std
    sd = {'wte.weight': rnd(V, D, std=0.5), 'wpe.weight': rnd(T, D, std=0.3)}
    for i in range(L):
        p = f'h.{i}.'
        sd[p + 'ln_1.weight'] = 1 + rnd(D, std=0.1); sd[p + 'ln_1.bias'] = rnd(D, std=0.1)
        sd[p + 'attn.c_attn.weight'] = rnd(D, 3 * D); sd[p + 'attn.c_attn.bias'] = rnd(3 * D, std=0.1)
        sd[p + 'attn.c_proj.weight'] = rnd(D, D); sd[p + 'attn.c_proj.bias'] = rnd(D, std=0.1)
        sd[p + 'ln_2.weight'] = 1 + rnd(D, std=0.1); sd[p + 'ln_2.bias'] = rnd(D, std=0.1)
        sd[p + 'mlp.c_fc.weight'] = rnd(D, 4 * D); sd[p + 'mlp.c_fc.bias'] = rnd(4 * D, std=0.1)
        sd[p + 'mlp.c_proj.weight'] = rnd(4 * D, D, std=0.1); sd[p + 'mlp.c_proj.bias'] = rnd(D, std=0.1)
    sd['ln_f.weight'] = 1 + rnd(D, std=0.1); sd['ln_f.bias'] = rnd(D, std=0.1)
    # a short training on the corpus (Adam, 300 steps of 8 windows), so the model predicts text better than
    # uniform and `generate` has something to say; the weights keep their large random part
    data = torch.tensor(enc.encode(corpus))
    params = {k: v.float().requires_grad_() for k, v in sd.items()}
    opt = torch.optim.Adam(params.values(), lr=3e-3)
    g = torch.Generator().manual_seed(7)
    for _ in range(a.steps):
        ix = torch.randint(len(data) - T - 1, (8,), generator=g)
        xb = torch.stack([data[i:i + T] for i in ix]); yb = torch.stack([data[i + 1:i + T + 1] for i in ix])
        loss = F.cross_entropy(gpt2_logits(params, cfg, xb).reshape(-1, V), yb.reshape(-1))
        opt.zero_grad(); loss.backward(); opt.step()
    print(f'training loss after {a.steps} steps: {loss.item():.4f} (uniform: {math.log(V):.4f})', file=sys.stderr)
    sd = {k: v.detach().double() for k, v in params.items()}  # the stored float32 values are the truth

    assert len(ids) >= 2 * T + 1, f'the test text gives only {len(ids)} tokens'
    windows = torch.tensor([ids[:T], ids[T:2 * T]])
    with torch.no_grad():
        logits = gpt2_logits(sd, cfg, windows)  # [2, T, V], float64
        prefix = gpt2_logits(sd, cfg, torch.tensor([ids[:7]]))  # a window shorter than the context
        W = (len(ids) - 1) // T
        x = torch.tensor([ids[w * T:w * T + T] for w in range(W)]); y = torch.tensor([ids[w * T + 1:w * T + T + 1] for w in range(W)])
        loss = F.cross_entropy(gpt2_logits(sd, cfg, x).reshape(-1, V), y.reshape(-1)).item()

    write_safetensors(os.path.join(a.out, 'model.safetensors'), list(sd.items()), {'format': 'pt'})
    with open(os.path.join(a.out, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(a.out, 'vocab.json'), 'w', encoding='utf-8') as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(a.out, 'merges.txt'), 'w', encoding='utf-8') as f:
        f.write('#version: 0.2\n' + ''.join(f'{x} {y}\n' for x, y in merges))
    write_safetensors(os.path.join(a.out, 'expected.safetensors'), [('logits', logits), ('prefix_logits', prefix)],
                      {'note': 'logits [windows, T, V] of the first two context windows of the test text, and of its first 7 tokens; float64, stored F32'})
    with open(os.path.join(a.out, 'expected.json'), 'w', encoding='utf-8') as f:
        json.dump({'text': TEST_TEXT, 'ids': ids, 'pretokens': [t for special, part in split_special(TEST_TEXT) for t in ([part] if special else pretokenize(part))], 'evalLoss': loss, 'evalTokens': W * T,
                   'evalPerplexity': math.exp(loss), 'torch': torch.__version__}, f, ensure_ascii=False, indent=1)
    print(f'vocab {V}, {len(merges)} merges, test text {len(TEST_TEXT)} characters → {len(ids)} tokens, eval loss {loss:.6f} nats/token '
          f'over {W}×{T} tokens (perplexity {math.exp(loss):.3f})', file=sys.stderr)


if __name__ == '__main__':
    main()
