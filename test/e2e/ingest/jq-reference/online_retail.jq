# UCI Online Retail: one invoice line (a CSV row, all values strings) →
# one line event; the source's "group" makes one event of the lines of an
# invoice (props.order_id). Cancellation invoices start with "C".
if (.CustomerID // "") == "" then error("row has no CustomerID") else . end
| (.Quantity | tonumber? // error("Quantity is not a number")) as $qty
| (.UnitPrice | tonumber? // error("UnitPrice is not a number")) as $price
| {
    type: (if .InvoiceNo | startswith("C") then "order_refunded" else "order_paid" end),
    ts: .InvoiceDate,
    source: "online_retail",
    channel: "web",
    ids: { member: (.CustomerID | sub("\\.0+$"; "")) },
    props: {
      order_id: .InvoiceNo,
      sku: .StockCode,
      description: .Description,
      quantity: $qty,
      unit_price: $price,
      amount: (($qty * $price * 100 | round) / 100),
      currency: "GBP",
      country: .Country
    },
    traits: { country: .Country }
  }
