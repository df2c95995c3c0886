//! Tag rows shared by contacts and companies (`contact_tags`, `company_tags`): one table per
//! owner, keyed by workspace, owner id and tag. Only owners inside the workspace get tags.

use crate::query::Sql;
use crate::query::in_list;
use crate::{Db, Result, WorkspaceId, bind_args, on_db};
use std::collections::HashMap;

/// Which owner's tag table.
#[derive(Debug, Clone, Copy)]
pub struct TagTable {
    pub table: &'static str,
    pub owner_col: &'static str,
    pub owner_table: &'static str,
}

pub const CONTACT_TAGS: TagTable = TagTable {
    table: "contact_tags",
    owner_col: "contact_id",
    owner_table: "contacts",
};

pub const COMPANY_TAGS: TagTable = TagTable {
    table: "company_tags",
    owner_col: "company_id",
    owner_table: "companies",
};

/// Tags of the given owners, sorted.
pub async fn of(
    db: &Db,
    ws: WorkspaceId,
    t: TagTable,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut s = Sql::new(format!(
            "SELECT {}, tag FROM {} WHERE workspace_id = ",
            t.owner_col, t.table
        ));
        let w = s.arg(ws.0);
        s.push(&w);
        in_list(&mut s, t.owner_col, chunk);
        s.push(" ORDER BY tag");
        let rows: Vec<(i64, String)> = on_db!(db, p => bind_args!(sqlx::query_as::<_, (i64, String)>(&s.text_for(db)), s.args).persistent(false)
            .fetch_all(p).await)?;
        for (id, tag) in rows {
            out.entry(id).or_default().push(tag);
        }
    }
    Ok(out)
}

/// Add `tag` to the owners (already tagged ones are left alone). Returns rows added.
pub async fn add(db: &Db, ws: WorkspaceId, t: TagTable, ids: &[i64], tag: &str) -> Result<u64> {
    let mut n = 0;
    for chunk in ids.chunks(500) {
        let mut s = Sql::new("");
        let w = s.arg(ws.0);
        let tg = s.arg(tag);
        s.text = format!(
            "INSERT INTO {} (workspace_id, {}, tag) SELECT {w}, o.id, {tg} \
             FROM {} o WHERE o.workspace_id = {w}",
            t.table, t.owner_col, t.owner_table
        );
        in_list(&mut s, "o.id", chunk);
        s.push(" ON CONFLICT DO NOTHING");
        n += on_db!(db, p => bind_args!(sqlx::query(&s.text_for(db)), s.args)
            .execute(p).await.map(|r| r.rows_affected()))?;
    }
    Ok(n)
}

/// Remove `tag` from the owners. Returns rows removed.
pub async fn remove(db: &Db, ws: WorkspaceId, t: TagTable, ids: &[i64], tag: &str) -> Result<u64> {
    let mut n = 0;
    for chunk in ids.chunks(500) {
        let mut s = Sql::new("");
        let w = s.arg(ws.0);
        let tg = s.arg(tag);
        s.text = format!(
            "DELETE FROM {} WHERE workspace_id = {w} AND tag = {tg}",
            t.table
        );
        in_list(&mut s, t.owner_col, chunk);
        n += on_db!(db, p => bind_args!(sqlx::query(&s.text_for(db)), s.args)
            .execute(p).await.map(|r| r.rows_affected()))?;
    }
    Ok(n)
}

/// Every distinct tag in use, for filter menus.
pub async fn all(db: &Db, ws: WorkspaceId, t: TagTable) -> Result<Vec<String>> {
    let sql = format!(
        "SELECT DISTINCT tag FROM {} WHERE workspace_id = $1 ORDER BY tag LIMIT 500",
        t.table
    );
    Ok(on_db!(db, p => sqlx::query_scalar::<_, String>(&sql).bind(ws.0).fetch_all(p).await)?)
}
