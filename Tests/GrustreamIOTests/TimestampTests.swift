import Foundation
import GrustreamIO
import GrustreamTestSupport
import Testing

@Suite("timestamps: ISO 8601 / RFC 3339 and epoch seconds")
struct TimestampTests {
    /// Independent reference: Foundation's calendar in UTC.
    func reference(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0)
        -> Double
    {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return calendar.date(from: components)!.timeIntervalSince1970
    }

    @Test func validForms() {
        let nab = reference(2014, 7, 1)
        #expect(Timestamp.parse("2014-07-01 00:00:00") == nab)
        #expect(Timestamp.parse("2014-07-01T00:00:00Z") == nab)
        #expect(Timestamp.parse("2014-07-01t00:00:00z") == nab)
        #expect(Timestamp.parse("2014-07-01") == nab)
        #expect(Timestamp.parse("2014-07-01T00:00") == nab)
        #expect(Timestamp.parse("2014-07-01 13:45:10") == reference(2014, 7, 1, 13, 45, 10))
        #expect(Timestamp.parse("2014-07-01T00:00:00.25Z") == nab + 0.25)
        #expect(Timestamp.parse("2014-07-01T00:00:00,5") == nab + 0.5)
        #expect(abs(Timestamp.parse("2014-07-01T00:00:00.123456789Z")! - nab - 0.123456789) < 1e-6)
        #expect(Timestamp.parse("1970-01-01T00:00:00Z") == 0)
        #expect(Timestamp.parse("1969-12-31T23:59:59Z") == -1)
        #expect(Timestamp.parse("0000-01-01T00:00:00Z") == -62_167_219_200)
        #expect(Timestamp.parse("9999-12-31T23:59:59Z") == 253_402_300_799)
    }

    @Test func offsets() {
        let utc = reference(2014, 7, 1, 12)
        #expect(Timestamp.parse("2014-07-01T14:00:00+02:00") == utc)
        #expect(Timestamp.parse("2014-07-01T14:00:00+0200") == utc)
        #expect(Timestamp.parse("2014-07-01T14:00:00+02") == utc)
        #expect(Timestamp.parse("2014-07-01T06:30:00-05:30") == utc)
        #expect(Timestamp.parse("2014-07-01T12:00:00-00:00") == utc)
        #expect(Timestamp.parse("2014-07-02T01:00:00.5+13:00") == utc + 0.5)
    }

    @Test func leapYearsAndMonthLengths() {
        #expect(Timestamp.parse("2016-02-29T00:00:00Z") == reference(2016, 2, 29))
        #expect(Timestamp.parse("2000-02-29") == reference(2000, 2, 29))
        #expect(Timestamp.parse("2015-02-29") == nil)
        #expect(Timestamp.parse("1900-02-29") == nil)
        #expect(Timestamp.parse("2100-02-29") == nil)
        #expect(Timestamp.parse("2014-04-31") == nil)
        #expect(Timestamp.parse("2014-12-31") == reference(2014, 12, 31))
        #expect(Timestamp.parse("2016-03-01")! - Timestamp.parse("2016-02-28")! == 2 * 86400)
        #expect(Timestamp.parse("2015-03-01")! - Timestamp.parse("2015-02-28")! == 86400)
        // A leap second is the next minute's 0.
        #expect(Timestamp.parse("2016-12-31T23:59:60Z") == reference(2017, 1, 1))
        // Every day of 1999–2001 against the reference.
        for year in 1999...2001 {
            for month in 1...12 {
                for day in [1, 15, 28] {
                    let text = String(format: "%04d-%02d-%02dT05:06:07Z", year, month, day)
                    #expect(Timestamp.parse(text) == reference(year, month, day, 5, 6, 7), "\(text)")
                }
            }
        }
    }

    @Test func epochSeconds() {
        #expect(Timestamp.parse("1404172800") == 1_404_172_800)
        #expect(Timestamp.parse("1404172800.25") == 1_404_172_800.25)
        #expect(Timestamp.parse("-3.5") == -3.5)
        #expect(Timestamp.parse("+7") == 7)
        #expect(Timestamp.parse("1.4e9") == 1.4e9)
        #expect(Timestamp.parse(".5") == 0.5)
        #expect(Timestamp.parse("5.") == 5)
        #expect(Timestamp.parse("0") == 0)
    }

    static let malformed = [
        "", " ", "2014-07-01 ", " 2014-07-01", "2014-7-01", "2014-07-1", "14-07-01", "2014/07/01",
        "2014-00-01", "2014-13-01", "2014-07-00", "2014-07-32", "2014-07-01 24:00:00", "2014-07-01 23:60:00",
        "2014-07-01 23:59:61", "2014-07-01T", "2014-07-01T1:00:00", "2014-07-01T10", "2014-07-01T10:0",
        "2014-07-01T10:00:00.", "2014-07-01T10:00:00.5.5", "2014-07-01T10:00:00+", "2014-07-01T10:00:00+2",
        "2014-07-01T10:00:00+24:00", "2014-07-01T10:00:00+02:60", "2014-07-01T10:00:00+02:0", "2014-07-01T10:00:00ZZ",
        "2014-07-01T10:00:00 Z", "2014-07-01X10:00:00", "2014-07-01  10:00:00", "nan", "NaN", "inf", "-inf",
        "infinity", "0x10", "1e", "1e+", "e5", ".", "-", "+", "1,5", "1 2", "12a", "1e999", "-1e999",
        "٢٠١٤-07-01", "2014-07-01T10:00:00\u{0}", String(repeating: "1", count: 65),
        "2014-07-01T00:00:00." + String(repeating: "5", count: 60),
    ]

    @Test(arguments: malformed)
    func malformedStringsAreNotTimestamps(_ text: String) {
        #expect(Timestamp.parse(text) == nil, "\(text.debugDescription)")
    }

    /// Any bytes give a value or nil, never a trap; values are finite.
    @Test func randomBytesNeverTrap() {
        var generator = SeededGenerator(seed: 13)
        let alphabet = Array("0123456789-+:.,TZtz eE x\u{7F}".utf8) + [0, 0xFF, 0xC3]
        for _ in 0..<20000 {
            let count = Int.random(in: 0...70, using: &generator)
            var bytes = (0..<count).map { _ in alphabet.randomElement(using: &generator)! }
            if Bool.random(using: &generator), count >= 19 {
                bytes.replaceSubrange(0..<10, with: Array("2014-07-01".utf8))
            }
            let value = bytes.withUnsafeBufferPointer { Timestamp.parse($0) }
            if let value { #expect(value.isFinite) }
        }
    }
}
