"""Tests of scripts/check_doc_comments.py's scanner on hand-written Swift (run by scripts/test via pytest)."""

import textwrap

import check_doc_comments as checker


def missing(tmp_path, source):
    path = tmp_path / "Example.swift"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return [(line, keyword, name) for line, keyword, name, _ in checker.check_file(path)]


def test_undocumented_public_declarations_are_listed_with_their_lines(tmp_path):
    assert missing(
        tmp_path,
        """\
        /// Documented.
        public struct A {
            public var x: Int
            /// Documented.
            public var y: Int
            var internalOne: Int
            public init(x: Int, _ y: Int) { self.x = x; self.y = y }
        }
        public func f(_ a: Int, label b: [Int: String]) -> Int { a }
        """,
    ) == [(3, "var", "x"), (7, "init", "init(x:_:)"), (9, "func", "f(_:label:)")]


def test_attributes_may_sit_between_the_comment_and_the_declaration(tmp_path):
    assert missing(
        tmp_path,
        """\
        /// Documented.
        @inlinable
        @_specialize(where T == Float)
        public func g<T>(_ t: T) -> T { t }
        @discardableResult
        public func h() -> Int { 0 }
        """,
    ) == [(6, "func", "h()")]


def test_enum_cases_and_protocol_requirements_are_public_without_a_modifier(tmp_path):
    assert missing(
        tmp_path,
        """\
        /// Documented.
        public enum E {
            /// Documented.
            case a
            case b(Int), c
        }
        /// Documented.
        public protocol P {
            var name: String { get }
            /// Documented.
            /// - Throws: never.
            func run() throws
        }
        enum Internal {
            case hidden
        }
        """,
    ) == [(5, "case", "b"), (9, "var", "name")]


def test_members_of_internal_types_and_bodies_are_not_public(tmp_path):
    assert missing(
        tmp_path,
        """\
        struct Hidden {
            public var x: Int
            public struct Inner { public var y: Int }
        }
        /// Documented.
        public func f() {
            struct Local { public var z: Int }
            let text = "public var notADeclaration { }"
            _ = text
        }
        """,
    ) == []


def test_braces_in_strings_comments_and_interpolations_do_not_move_the_scope(tmp_path):
    assert missing(
        tmp_path,
        '''\
        /// Documented.
        public struct S {
            /// Documented.
            public var a: String { "}\\(["}": 1].count) {" }
            // } a comment brace
            /* } and { in a block comment */
            /// Documented.
            public var b: String {
                """
                }}} a multi-line string {
                """
            }
            public var c: Int
        }
        public var top = #"raw } string"#
        ''',
    ) == [(13, "var", "c"), (15, "var", "top")]


def test_public_extension_members_and_explicit_members_of_extensions(tmp_path):
    assert missing(
        tmp_path,
        """\
        extension Array {
            public var first2: Element? { first }
            var internalOne: Int { 0 }
        }
        public extension Set {
            var implicitlyPublic: Int { count }
            private var hidden: Int { 0 }
        }
        """,
    ) == [(2, "var", "first2"), (6, "var", "implicitlyPublic")]


def test_a_throwing_declaration_needs_a_throws_line(tmp_path):
    assert missing(
        tmp_path,
        """\
        /// Documented.
        /// - Throws: an error.
        public func a() throws {}
        /// Documented, but says nothing of errors.
        public func b(_ body: () throws -> Void) throws -> Int { 0 }
        /// Rethrows only what `body` throws.
        public func c(_ body: () throws -> Void) rethrows {}
        /// A closure parameter that throws does not make the function throw.
        public func d(_ body: () throws -> Void) {}
        /// Documented.
        public init(x: Int) async throws {}
        """,
    ) == [(5, "throws", "b(_:)"), (11, "throws", "init(x:)")]


def test_a_comment_must_start_with_a_summary_not_a_callout(tmp_path):
    assert missing(
        tmp_path,
        """\
        /// - Throws: an error, but no summary.
        public func a() throws {}
        /// A summary.
        /// - Throws: an error.
        public func b() throws {}
        """,
    ) == [(2, "summary", "a()")]
