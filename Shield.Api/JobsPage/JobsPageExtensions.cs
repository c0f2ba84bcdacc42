namespace Shield.Api.JobsPage;

public static class JobsPageExtensions
{
    /// <summary>
    /// <c>GET /</c>: the jobs page (<c>wwwroot/index.html</c>, <c>jobs-page.js</c>, <c>jobs-page.css</c>): recent
    /// jobs with live progress from <c>/events/stream</c>, a form to submit text, and the documents (<c>/documents</c>)
    /// with a Delete button each. Static files, no build step;
    /// a content security policy keeps the page to its own scripts and the Api's own endpoints. The files are served
    /// before authentication (they hold no data); what they show comes from the protected endpoints, through the
    /// session the page's sign-in form opens (<c>Security/SessionEndpoints.cs</c>).
    /// </summary>
    public static WebApplication UseJobsPage(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (HttpMethods.IsGet(context.Request.Method) && (context.Request.Path == "/" || context.Request.Path.StartsWithSegments("/index.html")))
            {
                context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
                context.Response.Headers.XContentTypeOptions = "nosniff";
            }
            await next();
        });
        app.UseDefaultFiles();
        app.UseStaticFiles();
        return app;
    }
}
