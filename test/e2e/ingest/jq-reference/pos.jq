# Store POS receipt line (CSV row, all strings) → canonical event.
# store_id,receipt_no,line_no,member_no,mobile,sku,category,qty,unit_price,paid_at,refund
(.qty | tonumber? // error("qty is not a number")) as $qty
| (.unit_price | tonumber? // error("unit_price is not a number")) as $price
| {
    event_id: ("pos-" + .store_id + "-" + .receipt_no + "-" + .line_no + (if .refund == "Y" then "-refund" else "" end)),
    type: (if .refund == "Y" then "order_refunded" else "order_paid" end),
    ts: .paid_at,
    source: "pos",
    channel: "store",
    ids: ({ member: .member_no, phone: .mobile } | with_entries(select(.value != ""))),
    props: {
      order_id: (.store_id + "-" + .receipt_no),
      store_id: .store_id,
      sku: .sku,
      category: .category,
      quantity: $qty,
      unit_price: $price,
      amount: (($qty * $price * 100 | round) / 100),
      currency: "CNY"
    }
  }
