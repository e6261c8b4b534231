import Attend
import AttendModels
import Testing

@Suite("SmolLM2 byte-level BPE tokenizer")
struct BytePairEncodingTests {
    @Test("ids equal the float64 reference's for code, numbers, emoji, accents, CJK, spaces and chat text")
    func idsMatchReference() throws {
        let tokenizer = try SmolLM2Model.tokenizer.get()
        let fixture = try SmolLM2Fixture.load()
        #expect(fixture.tokens.count >= 12)
        for entry in fixture.tokens {
            #expect(tokenizer.encode(entry.text) == entry.ids, "\(entry.text.debugDescription)")
        }
    }

    @Test("decode(encode(s)) = s, and special tokens written in the text are kept whole")
    func roundTrip() throws {
        let tokenizer = try SmolLM2Model.tokenizer.get()
        for text in try SmolLM2Fixture.load().tokens.map(\.text) + [
            "", " ", "a\u{301}", "x\n\n\ny", "<|im_end|><|im_start|>", "  123  abc",
        ] {
            #expect(try tokenizer.decode(tokenizer.encode(text)) == text, "\(text.debugDescription)")
        }
        #expect(tokenizer.encode("<|im_start|>user") == [1, tokenizer.id(of: "user")!])
        #expect(tokenizer.encode("<|im_end|>") == [2])
    }

    @Test("the smollm pre-tokenizer splits every digit, then follows GPT-2's pattern")
    func preTokenizer() {
        #expect(PreTokenizer.smollm.split("x=2024 ok") == ["x", "=", "2", "0", "2", "4", " ok"])
        #expect(PreTokenizer.gpt2.split("I'll go  now!!\n") == ["I", "'ll", " go", " ", " now", "!!", "\n"])
        #expect(PreTokenizer.gpt2.split("a   b") == ["a", "  ", " b"])  // \s+(?!\S) leaves the last space to " b"
        // only a literal space joins the next word
        #expect(PreTokenizer.gpt2.split("a\n\tb") == ["a", "\n", "\t", "b"])
        #expect(PreTokenizer.gpt2.split(" 日本 ¾") == [" 日本", " ¾"])
        #expect(PreTokenizer.smollm.split("¾") == ["¾"])
    }

    @Test("streaming decoding holds back the bytes of a character split across tokens")
    func streaming() throws {
        var stream = StreamingTextDecoder()
        let rocket: [UInt8] = Array("🚀".utf8)  // F0 9F 9A 80
        #expect(stream.append(Array("go ".utf8) + rocket.prefix(1)) == "go ")
        #expect(stream.append(Array(rocket[1..<3])) == "")
        #expect(stream.append([rocket[3]] + Array("é".utf8)) == "🚀é")
        #expect(stream.append([0xC3]) == "")
        #expect(stream.finish() == "\u{FFFD}")
        #expect(stream.append([0xFF, 0x41]) == "\u{FFFD}A")  // an invalid byte is not held back

        // Real tokens: the emoji of the fixture string arrive over several tokens.
        let tokenizer = try SmolLM2Model.tokenizer.get()
        let text = "Emoji: 🤗🚀👍🏽 done"
        var out = ""
        var pieces = 0
        var s = StreamingTextDecoder()
        for id in tokenizer.encode(text) {
            let piece = s.append(try tokenizer.bytes(of: [id]))
            #expect(!piece.unicodeScalars.contains("\u{FFFD}"))
            out += piece
            pieces += 1
        }
        out += s.finish()
        #expect(out == text && pieces > text.count / 2)
    }
}

@Suite("Chat template and sampling")
struct ChatAndSamplingTests {
    @Test("the model's template is recognized as ChatML with SmolLM's system prompt, and gives the reference's prompt")
    func template() throws {
        let file = try SmolLM2Model.file.get()
        let fixture = try SmolLM2Fixture.load()
        let text = try #require(file[metadata: "tokenizer.chat_template"]?.stringValue)
        #expect(text == fixture.chat_template)
        let template = try ChatTemplate(template: text)
        #expect(template.prompt(user: "What is the capital of France?") == fixture.greedy[0].prompt)
        #expect(throws: DecoderModelError.self) { try ChatTemplate(template: "{{ messages }}") }
    }

    @Test("greedy is the arg max; top-k 1 is greedy at any temperature; a seed reproduces a sample")
    func sampling() throws {
        let logits: [Float] = [0.5, 3, -1, 2.9, 0]
        var greedy = try Sampler()
        #expect(greedy.next(logits: logits, history: []) == 1)
        var topOne = try Sampler(temperature: 5, topK: 1, seed: 9)
        #expect((0..<20).allSatisfy { _ in topOne.next(logits: logits, history: []) == 1 })
        var a = try Sampler(temperature: 1, seed: 42)
        var b = try Sampler(temperature: 1, seed: 42)
        let drawsA = (0..<50).map { _ in a.next(logits: logits, history: []) }
        let drawsB = (0..<50).map { _ in b.next(logits: logits, history: []) }
        #expect(drawsA == drawsB && Set(drawsA).count > 1)
        // top-p 0.5: p(1) ≈ 0.47, p(3) ≈ 0.43 → {1, 3} only.
        var nucleus = try Sampler(temperature: 1, topP: 0.5, seed: 3)
        let drawsP = Set((0..<200).map { _ in nucleus.next(logits: logits, history: []) })
        #expect(drawsP == [1, 3])
        // Repetition penalty 2: logit 3 → 1.5 for a seen id, so 3 (2.9) wins.
        var penalized = try Sampler(repetitionPenalty: 2)
        #expect(penalized.next(logits: logits, history: [1]) == 3)
        #expect(throws: DecoderModelError.self) { try Sampler(topP: 0) }
        #expect(throws: DecoderModelError.self) { try Sampler(temperature: -1) }
    }
}
