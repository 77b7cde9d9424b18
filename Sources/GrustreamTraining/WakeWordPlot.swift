import Foundation

/// The threshold sweep of a `WakeWordEvaluation` as a small hand-written SVG: recall against false activations
/// per hour (per clip, and on the concatenated negatives), the `maximum` line and the operating point on it.
/// The x axis runs from 0 to 10 × `maximum` (or the largest rate, if smaller); points beyond are clipped.
public enum WakeWordPlot {
    public static func svg(sweep: [SweepPoint], maximum: Double, title: String) -> String {
        let (width, height) = (640.0, 420.0)
        let (left, right, top, bottom) = (64.0, 24.0, 44.0, 56.0)
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let largest = sweep.map { max($0.perHourInClips, $0.perHourInStream) }.max() ?? 1
        let xMaximum = niceCeiling(max(min(largest, 10 * maximum), maximum, 1))
        func x(_ value: Double) -> Double { left + plotWidth * value / xMaximum }
        func y(_ recall: Double) -> Double { top + plotHeight * (1 - recall) }
        func number(_ v: Double) -> String { String(format: "%.1f", v) }
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
        var lines = [
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(Int(width))" height="\#(Int(height))" viewBox="0 0 \#(Int(width)) \#(Int(height))" font-family="sans-serif" font-size="12">"#,
            #"<rect width="100%" height="100%" fill="white"/>"#,
            #"<clipPath id="plot"><rect x="\#(number(left))" y="\#(number(top))" width="\#(number(plotWidth))" height="\#(number(plotHeight))"/></clipPath>"#,
            #"<text x="\#(number(width / 2))" y="22" text-anchor="middle" font-size="14">\#(escape(title))</text>"#,
        ]
        for k in 0...5 {
            let recall = Double(k) / 5
            lines.append(
                #"<line x1="\#(number(left))" y1="\#(number(y(recall)))" x2="\#(number(left + plotWidth))" y2="\#(number(y(recall)))" stroke="gainsboro"/>"#
            )
            lines.append(
                #"<text x="\#(number(left - 8))" y="\#(number(y(recall) + 4))" text-anchor="end">\#(String(format: "%.1f", recall))</text>"#
            )
            let rate = xMaximum * Double(k) / 5
            lines.append(
                #"<line x1="\#(number(x(rate)))" y1="\#(number(top))" x2="\#(number(x(rate)))" y2="\#(number(top + plotHeight))" stroke="gainsboro"/>"#
            )
            lines.append(
                #"<text x="\#(number(x(rate)))" y="\#(number(top + plotHeight + 18))" text-anchor="middle">\#(String(format: "%g", rate))</text>"#
            )
        }
        lines.append(
            #"<rect x="\#(number(left))" y="\#(number(top))" width="\#(number(plotWidth))" height="\#(number(plotHeight))" fill="none" stroke="black"/>"#
        )
        lines.append(
            #"<text x="\#(number(left + plotWidth / 2))" y="\#(number(height - 14))" text-anchor="middle">false activations per hour of negative audio</text>"#
        )
        lines.append(
            #"<text transform="translate(18 \#(number(top + plotHeight / 2))) rotate(-90)" text-anchor="middle">recall (positive clips)</text>"#
        )
        lines.append(
            #"<line x1="\#(number(x(maximum)))" y1="\#(number(top))" x2="\#(number(x(maximum)))" y2="\#(number(top + plotHeight))" stroke="gray" stroke-dasharray="4 3"/>"#
        )
        let series: [(String, String, KeyPath<SweepPoint, Double>)] = [
            ("per clip (+1 s silence)", "#1f77b4", \.perHourInClips),
            ("negatives concatenated", "#d62728", \.perHourInStream),
        ]
        for (index, (name, colour, rate)) in series.enumerated() {
            let points = sweep.map { "\(number(x($0[keyPath: rate]))),\(number(y($0.recall)))" }
            lines.append(
                #"<polyline clip-path="url(#plot)" fill="none" stroke="\#(colour)" stroke-width="1.5" points="\#(points.joined(separator: " "))"/>"#
            )
            let legendY = top + 16 + 16 * Double(index)
            lines.append(
                #"<line x1="\#(number(left + plotWidth - 190))" y1="\#(number(legendY - 4))" x2="\#(number(left + plotWidth - 170))" y2="\#(number(legendY - 4))" stroke="\#(colour)" stroke-width="2"/>"#
            )
            lines.append(#"<text x="\#(number(left + plotWidth - 164))" y="\#(number(legendY))">\#(name)</text>"#)
        }
        if let point = sweep.first(where: { $0.perHourInClips <= maximum && $0.perHourInStream <= maximum }) {
            let rate = max(point.perHourInClips, point.perHourInStream)
            lines.append(
                #"<circle cx="\#(number(x(rate)))" cy="\#(number(y(point.recall)))" r="5" fill="none" stroke="black" stroke-width="1.5"/>"#
            )
            lines.append(
                #"<text x="\#(number(x(rate) + 8))" y="\#(number(y(point.recall) + 16))">threshold \#(String(format: "%.3g", Double(point.threshold))): recall \#(String(format: "%.2f", point.recall)) at ≤ \#(String(format: "%g", maximum))/h</text>"#
            )
        }
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }

    /// 1, 2, 5 × 10^k at or above `value`.
    static func niceCeiling(_ value: Double) -> Double {
        let power = pow(10, floor(log10(value)))
        for step in [1.0, 2, 5, 10] where step * power >= value { return step * power }
        return 10 * power
    }
}
