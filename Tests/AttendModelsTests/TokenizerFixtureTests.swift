import AttendModels
import Foundation
import Testing

@Suite("BERT WordPiece tokenizer against the NumPy reference")
struct TokenizerFixtureTests {
    @Test("token ids and strings equal the reference's exactly for every fixture sentence")
    func idsEqualFixture() throws {
        let fixture = try MiniLMFixture.load()
        let tokenizer = try BertTokenizer(directory: MiniLMModel.requireDirectory())
        #expect(tokenizer.maxLength == fixture.max_length)
        for c in fixture.cases {
            let got = tokenizer.tokenize(c.text)
            #expect(got.ids == c.ids, "ids of \(c.text.debugDescription)")
            #expect(got.tokens == c.tokens, "tokens of \(c.text.debugDescription)")
        }
    }

    @Test("an input longer than max_seq_length is cut to exactly 256 tokens ending in [SEP]")
    func truncation() throws {
        let tokenizer = try BertTokenizer(directory: MiniLMModel.requireDirectory())
        let ids = tokenizer.encode(String(repeating: "alpha beta ", count: 400))
        #expect(ids.count == 256)
        #expect(ids.first == tokenizer.classifierID)
        #expect(ids.last == tokenizer.separatorID)
    }

    @Test("a tokenizer read from the folder's files held in memory gives the reference's ids exactly")
    func inMemoryFilesEqualFixture() throws {
        let fixture = try MiniLMFixture.load()
        let directory = try MiniLMModel.requireDirectory()
        var files: [String: Data] = [:]
        for name in ["vocab.txt", "tokenizer.json", "tokenizer_config.json", "sentence_bert_config.json"] {
            files[name] = try Data(contentsOf: directory.appendingPathComponent(name))
        }
        let tokenizer = try BertTokenizer(files: files)
        #expect(tokenizer.maxLength == fixture.max_length)
        for c in fixture.cases {
            let got = tokenizer.tokenize(c.text)
            #expect(got.ids == c.ids, "ids of \(c.text.debugDescription)")
            #expect(got.tokens == c.tokens, "tokens of \(c.text.debugDescription)")
        }
    }
}

@Suite("BERT normalizer, pre-tokenizer and WordPiece on hand-made inputs")
struct TokenizerPieceTests {
    @Test("the normalizer drops controls, spaces out CJK, strips accents and lowercases")
    func normalizer() {
        let n = BertNormalizer()
        #expect(n.normalized("Héllo\u{0007}\tWÖRLD\u{00A0}北京") == "hello world  北  京 ")
        #expect(n.normalized("\u{FFFD}a\u{0000}b\u{200B}c") == "abc")
        #expect(BertNormalizer(stripAccents: false, lowercase: true).normalized("Élan") == "élan")
        #expect(BertNormalizer(lowercase: false).normalized("Élan") == "Élan")
    }

    @Test("the pre-tokenizer makes each punctuation or ASCII symbol its own word")
    func preTokenizer() {
        let words = BertPreTokenizer.words("hi, $5+x — «ok»").map { String(String.UnicodeScalarView($0)) }
        #expect(words == ["hi", ",", "$", "5", "+", "x", "—", "«", "ok", "»"])
    }

    @Test("WordPiece takes the longest match, continues with ## pieces, and gives [UNK] when stuck")
    func wordPiece() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("attend-wp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "u", "##n", "aff"]
        try (vocab.joined(separator: "\n") + "\n").write(
            to: directory.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
        try #"{"do_lower_case": true, "model_max_length": 6}"#.write(
            to: directory.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8)
        let tokenizer = try BertTokenizer(directory: directory)
        #expect(tokenizer.tokenize("Unaffable").tokens == ["[CLS]", "un", "##aff", "##able", "[SEP]"])
        #expect(tokenizer.tokenize("unx aff").tokens == ["[CLS]", "[UNK]", "aff", "[SEP]"])
        #expect(tokenizer.tokenize("aff aff aff aff aff").tokens == ["[CLS]", "aff", "aff", "aff", "aff", "[SEP]"])
        #expect(tokenizer.tokenize(String(repeating: "u", count: 101)).tokens == ["[CLS]", "[UNK]", "[SEP]"])
    }
}
